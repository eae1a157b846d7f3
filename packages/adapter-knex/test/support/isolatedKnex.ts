// Each test file gets its own database: a SQLite temp file, a PostgreSQL schema or a MariaDB
// database with a random suffix, dropped in `drop()`. Other engineers use the same servers.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import { mysqlUrl, postgresUrl, testDatabases } from '../../../../test-utils/services.js'

/** How a child process reaches the same isolated database (JSON-safe). */
export interface KnexSpec {
  client: 'better-sqlite3' | 'pg' | 'mysql2'
  /** SQLite file or database URL. */
  target: string
  /** PostgreSQL schema put on the search path. */
  schema?: string
}

/** Open knex from a {@link KnexSpec} (also used by race workers). */
export function connectKnex(spec: KnexSpec): Knex {
  if (spec.client === 'better-sqlite3') {
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: spec.target },
      useNullAsDefault: true,
    })
  }
  if (spec.client === 'pg') {
    return knexFactory({
      client: 'pg',
      connection: spec.target,
      searchPath: spec.schema ? [spec.schema] : undefined,
    })
  }
  return knexFactory({ client: 'mysql2', connection: spec.target })
}

/** Insert a row with knex on database `name`; its id. */
export async function insertRow(
  knex: Knex,
  name: (typeof DATABASES)[number],
  table: string,
  values: Record<string, unknown>,
): Promise<number> {
  const query = knex(table).insert(values)
  const [row] = name === 'mariadb' ? await query : await query.returning('id')
  return Number(typeof row === 'object' ? (row as { id: number }).id : row)
}

/** The three databases every adapter test runs on. */
export const DATABASES = testDatabases(['sqlite', 'postgres', 'mariadb'] as const)

/** One isolated database. */
export interface IsolatedKnex {
  spec: KnexSpec
  knex: Knex
  drop(): Promise<void>
}

const suffix = () => randomBytes(5).toString('hex')

/** Create an isolated database and a knex on it. */
export async function isolatedKnex(name: (typeof DATABASES)[number]): Promise<IsolatedKnex> {
  if (name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'adapter-knex-'))
    const spec: KnexSpec = { client: 'better-sqlite3', target: join(dir, 'test.db') }
    const knex = connectKnex(spec)
    return {
      spec,
      knex,
      drop: async () => {
        await knex.destroy()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  if (name === 'postgres') {
    const schema = `kx_${suffix()}`
    const admin = knexFactory({ client: 'pg', connection: postgresUrl() })
    await admin.raw(`CREATE SCHEMA "${schema}"`)
    const spec: KnexSpec = { client: 'pg', target: postgresUrl(), schema }
    const knex = connectKnex(spec)
    return {
      spec,
      knex,
      drop: async () => {
        await knex.destroy()
        await admin.raw(`DROP SCHEMA "${schema}" CASCADE`)
        await admin.destroy()
      },
    }
  }
  const database = `kx_${suffix()}`
  const admin = knexFactory({ client: 'mysql2', connection: mysqlUrl() })
  await admin.raw(`CREATE DATABASE \`${database}\``)
  const url = new URL(mysqlUrl())
  url.pathname = `/${database}`
  const spec: KnexSpec = { client: 'mysql2', target: url.toString() }
  const knex = connectKnex(spec)
  return {
    spec,
    knex,
    drop: async () => {
      await knex.destroy()
      await admin.raw(`DROP DATABASE \`${database}\``)
      await admin.destroy()
    },
  }
}
