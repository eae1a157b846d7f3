// One isolated database per test file (a SQLite temp file, a PostgreSQL schema, a MariaDB
// database), with the shipped tables created by adapter-knex's migration — so every test here also
// proves the shipped Prisma models read and write the other adapters' schema. Raw reads go through knex.
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaMariaDb } from '@prisma/adapter-mariadb'
import { PrismaPg } from '@prisma/adapter-pg'
import { opencodeMigrations } from '../../../adapter-knex/src/index.js'
import {
  DATABASES,
  type IsolatedKnex,
  insertRow,
  isolatedKnex,
  type KnexSpec,
} from '../../../adapter-knex/test/support/isolatedKnex.js'
import { opencodeDdl, type PrismaClientLike } from '../../src/index.js'
import { prismaClientClass } from './prismaClients.js'

export { DATABASES }

/** A generated PrismaClient on the spec's database (through its driver adapter), and how to close it. */
export async function connectPrisma(
  spec: KnexSpec,
): Promise<{ prisma: PrismaClientLike; close(): Promise<void> }> {
  if (spec.client === 'better-sqlite3') {
    const PrismaClient = await prismaClientClass('sqlite')
    const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${spec.target}` }) })
    return { prisma, close: () => prisma.$disconnect() }
  }
  if (spec.client === 'pg') {
    const PrismaClient = await prismaClientClass('postgresql')
    const adapter = new PrismaPg(
      { connectionString: spec.target, options: spec.schema ? `-c search_path=${spec.schema}` : undefined },
      { schema: spec.schema },
    )
    const prisma = new PrismaClient({ adapter })
    return { prisma, close: () => prisma.$disconnect() }
  }
  const PrismaClient = await prismaClientClass('mysql')
  const prisma = new PrismaClient({ adapter: new PrismaMariaDb(spec.target.replace(/^mysql:/, 'mariadb:')) })
  return { prisma, close: () => prisma.$disconnect() }
}

const DIALECTS = { sqlite: 'sqlite', postgres: 'postgresql', mariadb: 'mysql' } as const

/**
 * An isolated database with the shipped tables, a PrismaClient and a knex on it. The tables come
 * from adapter-knex's migration, or with `tables: 'sql'` from the plain SQL the package re-exports.
 */
export async function isolatedPrisma(name: (typeof DATABASES)[number], { tables = 'knex' } = {}) {
  const raw: IsolatedKnex = await isolatedKnex(name)
  if (tables === 'sql') for (const statement of opencodeDdl(DIALECTS[name])) await raw.knex.raw(statement)
  else await raw.knex.migrate.latest({ migrationSource: opencodeMigrations() })
  const { prisma, close } = await connectPrisma(raw.spec)
  return {
    name,
    spec: raw.spec,
    prisma,
    knex: raw.knex,
    /** Insert a row with knex; its id. */
    insert: (table: string, values: Record<string, unknown>) => insertRow(raw.knex, name, table, values),
    drop: async () => {
      await close()
      await raw.drop()
    },
  }
}
