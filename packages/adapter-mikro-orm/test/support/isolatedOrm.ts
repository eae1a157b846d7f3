// Each test file gets its own database: a SQLite temp file, a PostgreSQL schema or a MariaDB
// database with a random suffix, dropped in `drop()`. Raw SQL goes through the ORM's connection.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite'
import { type EntitySchema, MikroORM, type Options } from '@mikro-orm/core'
import { MariaDbDriver } from '@mikro-orm/mariadb'
import { PostgreSqlDriver } from '@mikro-orm/postgresql'
import { mysqlUrl, postgresUrl, testDatabases } from '../../../../test-utils/services.js'
import { createOpencodeTables, defineOpencodeEntities } from '../../src/index.js'

export const DATABASES = testDatabases(['sqlite', 'postgres', 'mariadb'] as const)
export type DatabaseName = (typeof DATABASES)[number]

/** How a child process reaches the same isolated database (JSON-safe). */
export interface OrmSpec {
  name: DatabaseName
  /** SQLite file or database URL. */
  target: string
  /** PostgreSQL schema. */
  schema?: string
}

/** MikroORM options for a spec with the shipped entities (plus `extra`). */
export function connectOrmOptions(spec: OrmSpec, extra: EntitySchema[] = []): Options {
  const { OpencodeSubjectSchema, OpencodeMessageSchema } = defineOpencodeEntities()
  const base: Options = {
    entities: [OpencodeSubjectSchema, OpencodeMessageSchema, ...extra],
    allowGlobalContext: false,
    debug: false,
    discovery: { warnWhenNoEntities: false },
  }
  if (spec.name === 'sqlite') return { ...base, driver: BetterSqliteDriver, dbName: spec.target }
  if (spec.name === 'postgres') {
    const searchPath = `set search_path to "${spec.schema}"`
    return {
      ...base,
      driver: PostgreSqlDriver,
      clientUrl: spec.target,
      schema: spec.schema,
      pool: {
        afterCreate: (
          connection: { query(sql: string, done: (error?: Error) => void): void },
          done: (error?: Error) => void,
        ) => connection.query(searchPath, done),
      },
    }
  }
  return { ...base, driver: MariaDbDriver, clientUrl: spec.target }
}

/** Open MikroORM on a spec with the shipped entities (plus `extra`). */
export function connectOrm(spec: OrmSpec, extra: EntitySchema[] = []): Promise<MikroORM> {
  return MikroORM.init(connectOrmOptions(spec, extra))
}

const suffix = () => randomBytes(5).toString('hex')

export interface IsolatedOrm {
  spec: OrmSpec
  orm: MikroORM
  /** Raw SQL on the ORM's connection (`?` placeholders). */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>
  /** Insert with raw SQL; returns the new id. */
  insert(table: string, values: Record<string, unknown>, idColumn?: string): Promise<number>
  drop(): Promise<void>
}

export async function isolatedOrm(name: DatabaseName, extra: EntitySchema[] = []): Promise<IsolatedOrm> {
  let spec: OrmSpec
  let cleanup: () => Promise<void>
  if (name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'adapter-mikro-'))
    spec = { name, target: join(dir, 'test.db') }
    cleanup = async () => rmSync(dir, { recursive: true, force: true })
  } else if (name === 'postgres') {
    const schema = `mo_${suffix()}`
    const admin = await MikroORM.init({
      driver: PostgreSqlDriver,
      clientUrl: postgresUrl(),
      entities: [],
      discovery: { warnWhenNoEntities: false },
      allowGlobalContext: true,
    })
    await admin.em.getConnection().execute(`create schema "${schema}"`)
    spec = {
      name,
      target: `${postgresUrl()}${postgresUrl().includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`,
      schema,
    }
    cleanup = async () => {
      await admin.em.getConnection().execute(`drop schema "${schema}" cascade`)
      await admin.close()
    }
  } else {
    const database = `mo_${suffix()}`
    const admin = await MikroORM.init({
      driver: MariaDbDriver,
      clientUrl: mysqlUrl(),
      entities: [],
      discovery: { warnWhenNoEntities: false },
      allowGlobalContext: true,
    })
    await admin.em.getConnection().execute(`create database \`${database}\``)
    const url = new URL(mysqlUrl())
    url.pathname = `/${database}`
    spec = { name, target: url.toString() }
    cleanup = async () => {
      await admin.em.getConnection().execute(`drop database \`${database}\``)
      await admin.close()
    }
  }
  const orm = await connectOrm(spec, extra)
  await createOpencodeTables(orm)
  const sql = async <T>(query: string, params: unknown[] = []) =>
    (await orm.em.getConnection().execute(query, params)) as T[]
  return {
    spec,
    orm,
    sql,
    insert: async (table, values, idColumn = 'id') => {
      const columns = Object.keys(values)
      const quote = (c: string) => (name === 'mariadb' ? `\`${c}\`` : `"${c}"`)
      const query = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values (${columns.map(() => '?').join(', ')})`
      if (name === 'postgres') {
        const [row] = await sql<Record<string, string>>(
          `${query} returning "${idColumn}"`,
          Object.values(values),
        )
        return Number(row?.[idColumn])
      }
      const result = (await orm.em.getConnection().execute(query, Object.values(values), 'run')) as {
        insertId: number
      }
      return Number(result.insertId)
    },
    drop: async () => {
      await orm.close()
      await cleanup()
    },
  }
}
