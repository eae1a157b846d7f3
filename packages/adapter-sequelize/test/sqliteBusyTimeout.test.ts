// SQLite: node-sqlite3 gives each connection a 1 s busy timeout and Sequelize opens one connection
// per transaction, so the adapter must set its own timeout on every connection it will use,
// including the per-transaction ones `withLock` runs on, and take the write lock with BEGIN IMMEDIATE.
import { QueryTypes, type Sequelize, Transaction } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOpencodeTables, sequelizeAdapter } from '../src/index.js'
import { type IsolatedDatabase, isolatedDatabase } from './support/isolatedDatabases.js'

describe('adapter-sequelize on a SQLite file: busy timeout and write lock', () => {
  let db: IsolatedDatabase
  let sequelize: Sequelize

  beforeAll(async () => {
    db = await isolatedDatabase('sqlite')
    sequelize = db.connect()
    await createOpencodeTables(sequelize.getQueryInterface())
  })
  afterAll(() => db.drop())

  const busyTimeout = async (transaction?: Transaction) => {
    const [row] = await sequelize.query<Record<string, number>>('PRAGMA busy_timeout', {
      type: QueryTypes.SELECT,
      transaction,
    })
    return Object.values(row ?? {})[0]
  }

  it('sets sqlite.busyTimeoutMs on the default connection and on every transaction connection', async () => {
    expect(await busyTimeout()).toBe(1000) // node-sqlite3's default, before the adapter
    sequelizeAdapter(sequelize, { sqlite: { busyTimeoutMs: 12_345 } })
    expect(await busyTimeout()).toBe(12_345)
    expect(await sequelize.transaction((t) => busyTimeout(t))).toBe(12_345)
    expect(await sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, (t) => busyTimeout(t))).toBe(
      12_345,
    )
  })

  it('withLock holds the database write lock: another connection cannot take it meanwhile', async () => {
    const { records } = sequelizeAdapter(sequelize, { sqlite: { busyTimeoutMs: 30_000 } })
    const now = new Date()
    await sequelize.query(
      "INSERT INTO opencode_subjects (title, created_at, updated_at) VALUES ('w', ?, ?)",
      {
        replacements: [now, now],
      },
    )
    const [row] = await sequelize.query<{ id: number }>('SELECT max(id) AS id FROM opencode_subjects', {
      type: QueryTypes.SELECT,
    })
    const probe = db.connect()
    await probe.query('PRAGMA busy_timeout = 0')
    const attempt = await records.withLock(Number(row?.id), () =>
      probe.query('BEGIN IMMEDIATE').then(
        () => 'acquired',
        (error: Error) => error.message,
      ),
    )
    expect(attempt).toMatch(/SQLITE_BUSY/)
  })
})
