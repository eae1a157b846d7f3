// Smoke: Sequelize reaches every database the adapter supports. The test command also runs this
// file against privately started servers, so the fresh-machine path is exercised in CI.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataTypes, type Options, Sequelize } from 'sequelize'
import { afterAll, describe, expect, it } from 'vitest'
import { mysqlUrl, postgresUrl } from '../../../test-utils/services.js'

const dir = mkdtempSync(join(tmpdir(), 'sequelize-smoke-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const databases: Array<[string, () => Sequelize]> = [
  ['sqlite', () => new Sequelize({ dialect: 'sqlite', storage: join(dir, 'smoke.db'), logging: false })],
  ['postgres', () => new Sequelize(postgresUrl(), { logging: false } satisfies Options)],
  ['mariadb', () => new Sequelize(mysqlUrl(), { dialect: 'mysql', logging: false })],
]

describe.each(databases)('smoke: sequelize on %s', (_name, connect) => {
  it('round-trips a row', async () => {
    const sequelize = connect()
    const table = `smoke_${Math.random().toString(36).slice(2, 10)}`
    const Row = sequelize.define('Row', { title: DataTypes.STRING }, { tableName: table, timestamps: false })
    try {
      await Row.sync()
      await Row.create({ title: 'hello' })
      const rows = await Row.findAll({ attributes: ['title'], raw: true })
      expect(rows).toEqual([{ title: 'hello' }])
    } finally {
      await Row.drop()
      await sequelize.close()
    }
  })
})
