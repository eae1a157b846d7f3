// A full Turn through the Drizzle adapter against the stand-in (adapter-knex's shared suite), read
// back with knex, on SQLite, PostgreSQL and MariaDB.
import { describeFullTurn } from '../../adapter-knex/test/support/knexTableSuites.js'
import { drizzleAdapter } from '../src/index.js'
import { DATABASES, isolatedDrizzle } from './support/isolatedDrizzle.js'

describeFullTurn(
  'adapter-drizzle',
  DATABASES.map((name) => [name, 'knex'] as const),
  async (name) => {
    const db = await isolatedDrizzle(name)
    return { ports: drizzleAdapter(db.db), knex: db.knex, drop: db.drop }
  },
)
