// withLock serializes callers across processes and inside each one: PESSIMISTIC_WRITE
// (SELECT … FOR UPDATE) on PostgreSQL and MariaDB, the write-first transaction plus busy timeout
// and the in-process queue on SQLite. N processes, each with two concurrent loops, increment one
// counter under the lock; the final count shows whether any two holders ever overlapped.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'

const run = promisify(execFile)
const worker = fileURLToPath(new URL('./support/lockWorker.ts', import.meta.url))
const PROCESSES = 6
const LOOPS = 2
const ROUNDS = 10

describe.each(DATABASES)('adapter-mikro-orm withLock across processes on %s', (name) => {
  let db: IsolatedOrm
  beforeAll(async () => {
    db = await isolatedOrm(name)
  })
  afterAll(async () => {
    await db.drop()
  })

  it(`${PROCESSES} processes × ${LOOPS} loops × ${ROUNDS} locked read-modify-writes lose no increment`, {
    timeout: 180_000,
  }, async () => {
    const id = await db.insert('opencode_subjects', { title: 'counter' })
    await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        run(
          process.execPath,
          ['--import', 'tsx', worker, JSON.stringify(db.spec), String(id), String(ROUNDS), String(LOOPS)],
          { timeout: 170_000 },
        ),
      ),
    )
    const [row] = await db.sql<{ opencode_session_id: string }>(
      'select opencode_session_id from opencode_subjects where id = ?',
      [id],
    )
    expect(row?.opencode_session_id).toBe(`n_${PROCESSES * LOOPS * ROUNDS}`)
  })
})
