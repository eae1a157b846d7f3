// One isolated database per test file (a SQLite temp file, a PostgreSQL schema, a MariaDB
// database), with the shipped tables created by adapter-knex's migration — so every test here also
// proves the Drizzle tables read and write the other adapters' schema. Raw reads go through knex.
import Database from 'better-sqlite3'
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3'
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { opencodeMigrations } from '../../../adapter-knex/src/index.js'
import {
  DATABASES,
  type IsolatedKnex,
  insertRow,
  isolatedKnex,
  type KnexSpec,
} from '../../../adapter-knex/test/support/isolatedKnex.js'
import type { DrizzleDatabase } from '../../src/index.js'

export { DATABASES }

/** A Drizzle database on the spec's database, and how to close it. */
export function connectDrizzle(spec: KnexSpec): { db: DrizzleDatabase; close(): Promise<void> } {
  if (spec.client === 'better-sqlite3') {
    const client = new Database(spec.target)
    return {
      db: drizzleSqlite({ client }),
      close: async () => {
        client.close()
      },
    }
  }
  if (spec.client === 'pg') {
    const pool = new pg.Pool({
      connectionString: spec.target,
      options: spec.schema ? `-c search_path=${spec.schema}` : undefined,
    })
    return { db: drizzlePg({ client: pool }), close: () => pool.end() }
  }
  const pool = mysql.createPool(spec.target)
  return { db: drizzleMysql({ client: pool }), close: () => pool.end() }
}

/** An isolated database with the shipped tables, a Drizzle database and a knex on it. */
export async function isolatedDrizzle(name: (typeof DATABASES)[number]) {
  const raw: IsolatedKnex = await isolatedKnex(name)
  await raw.knex.migrate.latest({ migrationSource: opencodeMigrations() })
  const { db, close } = connectDrizzle(raw.spec)
  return {
    name,
    spec: raw.spec,
    db,
    knex: raw.knex,
    /** Insert a row with knex; its id. */
    insert: (table: string, values: Record<string, unknown>) => insertRow(raw.knex, name, table, values),
    drop: async () => {
      await close()
      await raw.drop()
    },
  }
}
