// A full Turn through the Prisma adapter against the stand-in (adapter-knex's shared suite), read
// back with knex, on SQLite, PostgreSQL and MariaDB — on tables from adapter-knex's migration and
// from the kit's plain DDL.
import { describeFullTurn } from '../../adapter-knex/test/support/knexTableSuites.js'
import { prismaAdapter } from '../src/index.js'
import { DATABASES, isolatedPrisma } from './support/isolatedPrisma.js'

describeFullTurn(
  'adapter-prisma',
  DATABASES.flatMap((name) => [
    [name, 'knex'],
    [name, 'sql'],
  ]),
  async (name, tables) => {
    const db = await isolatedPrisma(name, { tables })
    return { ports: prismaAdapter(db.prisma), knex: db.knex, drop: db.drop }
  },
)
