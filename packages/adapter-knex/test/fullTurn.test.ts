// A full turn through the knex adapter against the stand-in (support/knexTableSuites.ts), read back
// with plain knex queries, on SQLite, PostgreSQL and MariaDB.
import { knexAdapter, opencodeMigrations } from '../src/index.js'
import { DATABASES, isolatedKnex } from './support/isolatedKnex.js'
import { describeFullTurn } from './support/knexTableSuites.js'

describeFullTurn(
  'adapter-knex',
  DATABASES.map((name) => [name, 'knex'] as const),
  async (name) => {
    const db = await isolatedKnex(name)
    await db.knex.migrate.latest({ migrationSource: opencodeMigrations() })
    return { ports: knexAdapter(db.knex), knex: db.knex, drop: db.drop }
  },
)
