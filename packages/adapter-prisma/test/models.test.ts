// The models the quickstart tells users to paste are the ones the adapter ships (and tests with).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { opencodePrismaModels } from '../src/index.js'

const quickstart = readFileSync(new URL('../../../docs/quickstart-prisma.md', import.meta.url), 'utf8')

describe('opencodePrismaModels', () => {
  it("is what docs/quickstart-prisma.md's schema.prisma holds", () => {
    const schema = quickstart.match(/```prisma\n([\s\S]*?)```/)?.[1] ?? ''
    expect(schema).toContain(opencodePrismaModels({ provider: 'postgresql' }))
  })

  it('names the tables it is given', () => {
    const models = opencodePrismaModels({
      provider: 'mysql',
      subjectsTable: 'threads',
      messagesTable: 'replies',
    })
    expect(models).toContain('@@map("threads")')
    expect(models).toContain('@@map("replies")')
    expect(models).toContain('map: "replies_subject_id_foreign"')
  })
})
