// Smoke: knex reaches every database the adapter supports. The test command also runs this file
// against privately started servers, so the fresh-machine path is exercised in CI.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import { afterAll, describe, expect, it } from 'vitest'
import { mysqlUrl, postgresUrl } from '../../../test-utils/services.js'

const dir = mkdtempSync(join(tmpdir(), 'knex-smoke-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const databases: Array<[string, () => Knex.Config]> = [
  [
    'sqlite',
    () => ({
      client: 'better-sqlite3',
      connection: { filename: join(dir, 'smoke.db') },
      useNullAsDefault: true,
    }),
  ],
  ['postgres', () => ({ client: 'pg', connection: postgresUrl() })],
  ['mariadb', () => ({ client: 'mysql2', connection: mysqlUrl() })],
]

describe.each(databases)('smoke: knex on %s', (_name, config) => {
  it('round-trips a row', async () => {
    const db = knexFactory(config())
    const table = `smoke_${Math.random().toString(36).slice(2, 10)}`
    try {
      await db.schema.createTable(table, (t) => {
        t.increments('id')
        t.string('title')
      })
      await db(table).insert({ title: 'hello' })
      const rows = await db(table).select('title')
      expect(rows).toEqual([{ title: 'hello' }])
    } finally {
      await db.schema.dropTableIfExists(table)
      await db.destroy()
    }
  })
})
