// A full Turn through the Prisma adapter, against the OpenCode stand-in on a loopback port: the final
// content, status, cost (summed over the tool loop), tokens and artifacts, read back with plain
// knex queries, on SQLite, PostgreSQL and MariaDB.
import { createOpencodeKit } from '@opencode-kit/core'
import {
  MemoryStorage,
  type RunningStandIn,
  scenario,
  startOpencodeStandIn,
} from '@opencode-kit/core/testing'
import type { Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prismaAdapter } from '../src/index.js'
import { DATABASES, isolatedPrisma } from './support/isolatedPrisma.js'

let standIn: RunningStandIn
beforeAll(async () => {
  standIn = await startOpencodeStandIn({ heartbeatMs: 0 })
})
afterAll(async () => {
  await standIn.close()
})

describe.each(
  DATABASES.flatMap((name) => [
    [name, 'knex'],
    [name, 'sql'],
  ]),
)('a full turn through adapter-prisma on %s (tables from %s)', (name, tables) => {
  let db: Awaited<ReturnType<typeof isolatedPrisma>>
  let knex: Knex
  beforeAll(async () => {
    db = await isolatedPrisma(name, { tables })
    knex = db.knex
  })
  afterAll(async () => {
    await db.drop()
  })

  it('persists content, status, summed cost, tokens, parts and the written file', async () => {
    standIn.enqueue(
      scenario()
        .reasoning('Plan first.')
        .cost(0.0004, { input: 1000, output: 40, cache: { read: 100, write: 10 } })
        .write('/project/itinerary.md', '# Lisbon\n\n- Alfama\n')
        .text('The itinerary is in itinerary.md.')
        .cost(0.0006, { input: 1200, output: 60 }),
    )
    await knex('opencode_subjects').insert({ title: `trip on ${name}` })
    const subject = await knex('opencode_subjects').orderBy('id', 'desc').first()
    await knex('opencode_messages').insert({ subject_id: subject.id })
    const message = await knex('opencode_messages').orderBy('id', 'desc').first()
    const storage = new MemoryStorage()
    const kit = createOpencodeKit({
      client: standIn.url,
      ...prismaAdapter(db.prisma),
      storage,
      permissions: 'server-defaults',
    })
    const created = standIn.stats.sessionsCreated

    const result = await kit.runTurn({
      subjectId: subject.id,
      messageId: message.id,
      prompt: `Plan a weekend (${name})`,
    })

    expect(result.status).toBe('completed')
    const row = await knex('opencode_messages').where({ id: message.id }).first()
    expect(row.status).toBe('completed')
    expect(row.content).toBe('The itinerary is in itinerary.md.')
    expect(row.reasoning).toBe('Plan first.')
    expect(Number(row.cost)).toBeCloseTo(0.001, 10)
    expect(Number(row.input_tokens)).toBe(2200)
    expect(Number(row.output_tokens)).toBe(100)
    expect(Number(row.cache_read_tokens)).toBe(100)
    const parts = typeof row.parts_json === 'string' ? JSON.parse(row.parts_json) : row.parts_json
    expect(parts.map((p: { type: string }) => p.type)).toEqual(['reasoning', 'tool', 'text'])
    const tools =
      typeof row.tool_calls_json === 'string' ? JSON.parse(row.tool_calls_json) : row.tool_calls_json
    expect(tools.map((p: { tool: string }) => p.tool)).toEqual(['write'])
    const stored = await knex('opencode_subjects').where({ id: subject.id }).first()
    expect(stored.opencode_session_id).toMatch(/^ses_/)
    expect(standIn.stats.sessionsCreated - created).toBe(1)
    const attachments = await storage.list(message.id)
    expect(attachments.map((a) => [a.filename, a.size])).toEqual([['itinerary.md', 19]])
  })
})
