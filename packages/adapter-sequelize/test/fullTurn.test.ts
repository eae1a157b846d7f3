// A full turn through this adapter (the kit wired with its ports), against the OpenCode stand-in on a loopback port: the final
// content, status, cost (summed over the tool loop), tokens and artifacts, read back with plain
// SQL, on SQLite, PostgreSQL and MariaDB.
import { createOpencodeKit } from '@opencode-kit/core'
import {
  MemoryStorage,
  type RunningStandIn,
  scenario,
  startOpencodeStandIn,
} from '@opencode-kit/core/testing'
import { QueryTypes, type Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOpencodeTables, sequelizeAdapter } from '../src/index.js'
import { DATABASES, type IsolatedDatabase, isolatedDatabase } from './support/isolatedDatabases.js'

let standIn: RunningStandIn
beforeAll(async () => {
  standIn = await startOpencodeStandIn({ heartbeatMs: 0 })
})
afterAll(async () => {
  await standIn.close()
})

const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value)

describe.each(DATABASES)('a full turn through adapter-sequelize on %s', (name) => {
  let db: IsolatedDatabase
  let sequelize: Sequelize
  beforeAll(async () => {
    db = await isolatedDatabase(name)
    sequelize = db.connect()
    await createOpencodeTables(sequelize.getQueryInterface())
  })
  afterAll(async () => {
    await db.drop()
  })

  const one = async <T extends object>(sql: string, replacements: unknown[] = []) =>
    (await sequelize.query<T>(sql, { replacements, type: QueryTypes.SELECT }))[0] as T

  it('persists content, status, summed cost, tokens, parts and the written file', async () => {
    standIn.enqueue(
      scenario()
        .cost(0.0004, { input: 1000, output: 40 })
        .write('/project/notes.md', '# Notes\n')
        .text('Saved to notes.md.')
        .cost(0.0006, { input: 1200, output: 60 }),
    )
    const now = new Date()
    await sequelize.query('INSERT INTO opencode_subjects (title, created_at, updated_at) VALUES (?, ?, ?)', {
      replacements: [`notes on ${name}`, now, now],
    })
    const subject = await one<{ id: number }>('SELECT id FROM opencode_subjects ORDER BY id DESC')
    await sequelize.query(
      'INSERT INTO opencode_messages (subject_id, created_at, updated_at) VALUES (?, ?, ?)',
      {
        replacements: [subject.id, now, now],
      },
    )
    const message = await one<{ id: number }>('SELECT id FROM opencode_messages ORDER BY id DESC')
    const storage = new MemoryStorage()
    const kit = createOpencodeKit({
      client: standIn.url,
      ...sequelizeAdapter(sequelize),
      storage,
      permissions: 'server-defaults',
    })

    const result = await kit.runTurn({
      subjectId: subject.id,
      messageId: message.id,
      prompt: `Take notes (${name})`,
    })

    expect(result.status).toBe('completed')
    const row = await one<Record<string, unknown>>('SELECT * FROM opencode_messages WHERE id = ?', [
      message.id,
    ])
    expect(row.status).toBe('completed')
    expect(row.content).toBe('Saved to notes.md.')
    expect(Number(row.cost)).toBeCloseTo(0.001, 10)
    expect(Number(row.input_tokens)).toBe(2200)
    expect(Number(row.output_tokens)).toBe(100)
    expect(json(row.parts_json).map((p: { type: string }) => p.type)).toEqual(['tool', 'text'])
    expect(json(row.tool_calls_json).map((p: { tool: string }) => p.tool)).toEqual(['write'])
    const stored = await one<{ opencode_session_id: string }>(
      'SELECT opencode_session_id FROM opencode_subjects WHERE id = ?',
      [subject.id],
    )
    expect(stored.opencode_session_id).toMatch(/^ses_/)
    expect((await storage.list(message.id)).map((a) => a.filename)).toEqual(['notes.md'])
  })
})
