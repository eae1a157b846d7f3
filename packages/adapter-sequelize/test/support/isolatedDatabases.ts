// Each test file gets its own database: a SQLite temp file, a PostgreSQL schema or a MariaDB
// database with a random suffix, dropped in `drop()`. Other engineers use the same servers.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Options, Sequelize } from 'sequelize'
import { mysqlUrl, postgresUrl, testDatabases } from '../../../../test-utils/services.js'

/** How a child process reaches the same isolated database. */
export interface ConnectionSpec {
  dialect: 'sqlite' | 'postgres' | 'mysql'
  /** SQLite file, or the database URL. */
  target: string
  /** PostgreSQL schema to put first on the search path. */
  schema?: string
}

/** One isolated database. */
export interface IsolatedDatabase {
  name: string
  spec: ConnectionSpec
  /** A new Sequelize instance (its own pool) on the isolated database. */
  connect(): Sequelize
  /** Close every instance `connect` made and drop the database. */
  drop(): Promise<void>
}

/** Open a Sequelize instance from a {@link ConnectionSpec} (also used by child processes). */
export function connectTo(spec: ConnectionSpec): Sequelize {
  const common: Options = { logging: false }
  if (spec.dialect === 'sqlite') return new Sequelize({ ...common, dialect: 'sqlite', storage: spec.target })
  if (spec.dialect === 'postgres') {
    return new Sequelize(spec.target, {
      ...common,
      dialect: 'postgres',
      dialectOptions: { options: `-c search_path=${spec.schema}` },
    })
  }
  return new Sequelize(spec.target, { ...common, dialect: 'mysql' })
}

const suffix = () => randomBytes(5).toString('hex')

async function create(name: string): Promise<ConnectionSpec & { cleanup(): Promise<void> }> {
  if (name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'adapter-sequelize-'))
    return {
      dialect: 'sqlite',
      target: join(dir, 'test.db'),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  if (name === 'postgres') {
    const schema = `sq_${suffix()}`
    const admin = new Sequelize(postgresUrl(), { logging: false, dialect: 'postgres' })
    await admin.query(`CREATE SCHEMA "${schema}"`)
    return {
      dialect: 'postgres',
      target: postgresUrl(),
      schema,
      cleanup: async () => {
        await admin.query(`DROP SCHEMA "${schema}" CASCADE`)
        await admin.close()
      },
    }
  }
  const database = `sq_${suffix()}`
  const admin = new Sequelize(mysqlUrl(), { logging: false, dialect: 'mysql' })
  await admin.query(`CREATE DATABASE \`${database}\``)
  const url = new URL(mysqlUrl())
  url.pathname = `/${database}`
  return {
    dialect: 'mysql',
    target: url.toString(),
    cleanup: async () => {
      await admin.query(`DROP DATABASE \`${database}\``)
      await admin.close()
    },
  }
}

/** The three databases every adapter test runs on. */
export const DATABASES = testDatabases(['sqlite', 'postgres', 'mariadb'] as const)

/** Create an isolated database of the given kind. */
export async function isolatedDatabase(name: (typeof DATABASES)[number]): Promise<IsolatedDatabase> {
  const { cleanup, ...spec } = await create(name)
  const opened: Sequelize[] = []
  return {
    name,
    spec,
    connect() {
      const sequelize = connectTo(spec)
      opened.push(sequelize)
      return sequelize
    },
    async drop() {
      await Promise.all(opened.map((s) => s.close()))
      await cleanup()
    },
  }
}
