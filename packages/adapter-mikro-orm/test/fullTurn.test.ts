// A full turn through this adapter (the kit wired with its ports) against the OpenCode stand-in on loopback: content, status,
// summed cost, tokens and artifacts, read back with plain SQL, on SQLite, PostgreSQL and MariaDB.
import { createOpencodeKit } from '@opencode-kit/core'
import {
  MemoryStorage,
  type RunningStandIn,
  scenario,
  startOpencodeStandIn,
} from '@opencode-kit/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mikroOrmAdapter } from '../src/index.js'
import { DATABASES, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'

let standIn: RunningStandIn
beforeAll(async () => {
  standIn = await startOpencodeStandIn({ heartbeatMs: 0 })
})
afterAll(async () => {
  await standIn.close()
})

const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value)

describe.each(DATABASES)('a full turn through adapter-mikro-orm on %s', (name) => {
  let db: IsolatedOrm
  beforeAll(async () => {
    db = await isolatedOrm(name)
  })
  afterAll(async () => {
    await db.drop()
  })

  it('persists content, status, summed cost, tokens, parts and the written file', async () => {
    standIn.enqueue(
      scenario()
        .cost(0.0004, { input: 1000, output: 40 })
        .write('/project/plan.md', '# Plan\n')
        .text('The plan is in plan.md.')
        .cost(0.0006, { input: 1200, output: 60 }),
    )
    const subjectId = await db.insert('opencode_subjects', { title: `plan on ${name}` })
    const messageId = await db.insert('opencode_messages', { subject_id: subjectId })
    const storage = new MemoryStorage()
    const kit = createOpencodeKit({
      client: standIn.url,
      ...mikroOrmAdapter(db.orm),
      storage,
      permissions: 'server-defaults',
    })
    const result = await kit.runTurn({ subjectId, messageId, prompt: `Plan it (${name})` })
    expect(result.status).toBe('completed')
    const [row] = await db.sql<Record<string, unknown>>('select * from opencode_messages where id = ?', [
      messageId,
    ])
    expect(row?.status).toBe('completed')
    expect(row?.content).toBe('The plan is in plan.md.')
    expect(Number(row?.cost)).toBeCloseTo(0.001, 10)
    expect(Number(row?.input_tokens)).toBe(2200)
    expect(json(row?.parts_json).map((p: { type: string }) => p.type)).toEqual(['tool', 'text'])
    expect(json(row?.tool_calls_json).map((p: { tool: string }) => p.tool)).toEqual(['write'])
    const [subject] = await db.sql<{ opencode_session_id: string }>(
      'select opencode_session_id from opencode_subjects where id = ?',
      [subjectId],
    )
    expect(subject?.opencode_session_id).toMatch(/^ses_/)
    expect((await storage.list(messageId)).map((a) => a.filename)).toEqual(['plan.md'])
  })
})
