// withLock serializes callers in different processes: on SQLite through BEGIN IMMEDIATE plus the
// adapter's busy timeout (node-sqlite3's 1 s default would make waiters fail), on PostgreSQL and
// MariaDB through SELECT … FOR UPDATE. N processes each increment a counter under the lock.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { QueryTypes, type Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOpencodeTables } from '../src/index.js'
import { DATABASES, type IsolatedDatabase, isolatedDatabase } from './support/isolatedDatabases.js'

const run = promisify(execFile)
const worker = fileURLToPath(new URL('./support/lockWorker.ts', import.meta.url))
const PROCESSES = 6
const ROUNDS = 15

describe.each(DATABASES)('adapter-sequelize withLock across processes on %s', (name) => {
  let db: IsolatedDatabase
  let sequelize: Sequelize

  beforeAll(async () => {
    db = await isolatedDatabase(name)
    sequelize = db.connect()
    await createOpencodeTables(sequelize.getQueryInterface())
  })
  afterAll(() => db.drop())

  it(`${PROCESSES} processes × ${ROUNDS} locked read-modify-writes lose no increment`, {
    timeout: 120_000,
  }, async () => {
    const now = new Date()
    await sequelize.query(
      "INSERT INTO opencode_subjects (title, created_at, updated_at) VALUES ('counter', ?, ?)",
      {
        replacements: [now, now],
      },
    )
    const [row] = await sequelize.query<{ id: number }>('SELECT id FROM opencode_subjects', {
      type: QueryTypes.SELECT,
    })
    const id = String(row?.id)
    await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        run(process.execPath, ['--import', 'tsx', worker, JSON.stringify(db.spec), id, String(ROUNDS)], {
          timeout: 110_000,
        }),
      ),
    )
    const [after] = await sequelize.query<{ opencode_session_id: string }>(
      'SELECT opencode_session_id FROM opencode_subjects WHERE id = ?',
      { replacements: [id], type: QueryTypes.SELECT },
    )
    expect(after?.opencode_session_id).toBe(`n_${PROCESSES * ROUNDS}`)
  })
})
