/**
 * Fresh PostgreSQL databases on the shared server for the apps the release tests run (each app
 * gets a whole database, as a user's app would, so quickstart code needs no schema tricks).
 */
import { randomBytes } from 'node:crypto'
import knexFactory from 'knex'
import { postgresUrl } from '../../test-utils/services.js'

export interface FreshDatabase {
  url: string
  drop(): Promise<void>
}

async function admin(sql: string): Promise<void> {
  const knex = knexFactory({ client: 'pg', connection: postgresUrl(), pool: { min: 0, max: 1 } })
  try {
    await knex.raw(sql)
  } finally {
    await knex.destroy()
  }
}

export async function createDatabase(label: string): Promise<FreshDatabase> {
  const name = `release_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`
  await admin(`CREATE DATABASE ${name}`)
  const url = new URL(postgresUrl())
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  }
}
