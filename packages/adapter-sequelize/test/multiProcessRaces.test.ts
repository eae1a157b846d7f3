// The two multi-process race scenarios at the port level, on every database: 16 processes ensure a
// session for the same subjects (exactly one creation per subject, everyone gets the stored id),
// and processes race finalize against cancel on the same message rows (exactly one winner per row;
// a cancel that answered true is never overwritten).
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { QueryTypes, type Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOpencodeTables } from '../src/index.js'
import { DATABASES, type IsolatedDatabase, isolatedDatabase } from './support/isolatedDatabases.js'

const run = promisify(execFile)
const worker = fileURLToPath(new URL('./support/raceWorker.ts', import.meta.url))
const PROCESSES = 16
const ROWS = 6

describe.each(DATABASES)('adapter-sequelize multi-process races on %s', (name) => {
  let db: IsolatedDatabase
  let sequelize: Sequelize
  let dir: string

  beforeAll(async () => {
    db = await isolatedDatabase(name)
    sequelize = db.connect()
    await createOpencodeTables(sequelize.getQueryInterface())
    dir = mkdtempSync(join(tmpdir(), 'sequelize-races-'))
  })
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    await db.drop()
  })

  const now = new Date()
  async function insertSubjects(): Promise<number[]> {
    const ids: number[] = []
    for (let i = 0; i < ROWS; i++) {
      await sequelize.query(
        'INSERT INTO opencode_subjects (title, created_at, updated_at) VALUES (?, ?, ?)',
        {
          replacements: [`race ${i}`, now, now],
        },
      )
    }
    const rows = await sequelize.query<{ id: number }>('SELECT id FROM opencode_subjects ORDER BY id', {
      type: QueryTypes.SELECT,
    })
    for (const row of rows.slice(-ROWS)) ids.push(Number(row.id))
    return ids
  }
  async function insertMessages(): Promise<number[]> {
    const [subject] = await insertSubjects()
    for (let i = 0; i < ROWS; i++) {
      await sequelize.query(
        'INSERT INTO opencode_messages (subject_id, created_at, updated_at) VALUES (?, ?, ?)',
        {
          replacements: [subject, now, now],
        },
      )
    }
    const rows = await sequelize.query<{ id: number }>('SELECT id FROM opencode_messages ORDER BY id', {
      type: QueryTypes.SELECT,
    })
    return rows.slice(-ROWS).map((row) => Number(row.id))
  }
  const spawn = (mode: string, ids: number[], log: string, index: number) =>
    run(
      process.execPath,
      ['--import', 'tsx', worker, JSON.stringify(db.spec), mode, ids.join(','), log, String(index)],
      {
        timeout: 150_000,
      },
    )
  const lines = (log: string) => readFileSync(log, 'utf8').trim().split('\n')

  it(`exactly one upstream session per subject across ${PROCESSES} processes`, {
    timeout: 180_000,
  }, async () => {
    const ids = await insertSubjects()
    const log = join(dir, 'ensure.log')
    await Promise.all(Array.from({ length: PROCESSES }, (_, i) => spawn('ensure', ids, log, i)))
    const entries = lines(log).map((line) => line.split(' '))
    const stored = await sequelize.query<{ id: number; opencode_session_id: string }>(
      `SELECT id, opencode_session_id FROM opencode_subjects WHERE id IN (${ids.join(',')})`,
      { type: QueryTypes.SELECT },
    )
    for (const id of ids) {
      const created = entries.filter(([kind, subject]) => kind === 'created' && Number(subject) === id)
      const ensured = entries.filter(([kind, subject]) => kind === 'ensured' && Number(subject) === id)
      const row = stored.find((r) => Number(r.id) === id)
      expect(created).toHaveLength(1)
      expect(ensured).toHaveLength(PROCESSES)
      expect(new Set(ensured.map((e) => e[2]))).toEqual(new Set([created[0]?.[2]]))
      expect(row?.opencode_session_id).toBe(created[0]?.[2])
    }
  })

  it('a cancel racing finalize across processes is never lost', { timeout: 180_000 }, async () => {
    const ids = await insertMessages()
    const log = join(dir, 'cas.log')
    await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) => spawn(i % 2 === 0 ? 'finalize' : 'cancel', ids, log, i)),
    )
    const entries = lines(log).map((line) => line.split(' '))
    const rows = await sequelize.query<{ id: number; status: string; content: string | null }>(
      `SELECT id, status, content FROM opencode_messages WHERE id IN (${ids.join(',')})`,
      { type: QueryTypes.SELECT },
    )
    for (const id of ids) {
      const winners = entries.filter(([, message, won]) => Number(message) === id && won === 'true')
      const row = rows.find((r) => Number(r.id) === id)
      expect(winners).toHaveLength(1)
      if (winners[0]?.[0] === 'cancel') {
        expect(row).toMatchObject({ status: 'cancelled', content: null })
      } else {
        expect(row?.status).toBe('completed')
        expect(row?.content).toMatch(/^final /)
      }
    }
  })
})
