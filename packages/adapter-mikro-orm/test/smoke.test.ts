// Smoke: MikroORM reaches every database the adapter supports. The test command also runs this
// file against privately started servers, so the fresh-machine path is exercised in CI.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite'
import { EntitySchema, MikroORM, type Options } from '@mikro-orm/core'
import { MariaDbDriver } from '@mikro-orm/mariadb'
import { PostgreSqlDriver } from '@mikro-orm/postgresql'
import { afterAll, describe, expect, it } from 'vitest'
import { mysqlUrl, postgresUrl } from '../../../test-utils/services.js'

const dir = mkdtempSync(join(tmpdir(), 'mikro-smoke-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Row {
  id: number
  title: string
}

const databases: Array<[string, () => Options]> = [
  ['sqlite', () => ({ driver: BetterSqliteDriver, dbName: join(dir, 'smoke.db') })],
  ['postgres', () => ({ driver: PostgreSqlDriver, clientUrl: postgresUrl() })],
  ['mariadb', () => ({ driver: MariaDbDriver, clientUrl: mysqlUrl() })],
]

describe.each(databases)('smoke: mikro-orm on %s', (_name, options) => {
  it('round-trips a row', async () => {
    const table = `smoke_${Math.random().toString(36).slice(2, 10)}`
    const schema = new EntitySchema<Row>({
      name: 'Row',
      tableName: table,
      properties: { id: { type: 'number', primary: true }, title: { type: 'string' } },
    })
    const orm = await MikroORM.init({ ...options(), entities: [schema], allowGlobalContext: false })
    try {
      await orm.schema.createSchema()
      const em = orm.em.fork()
      em.create(schema, { id: 1, title: 'hello' })
      await em.flush()
      const rows = await orm.em.fork().find(schema, {})
      expect(rows.map((r) => r.title)).toEqual(['hello'])
    } finally {
      await orm.schema.dropSchema()
      await orm.close()
    }
  })
})
