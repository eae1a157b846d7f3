import type { EntityManager, MikroORM } from '@mikro-orm/core'
import { opencodeDdl as kitDdl, type SqlDialect } from '@opencode-kit/core/adapter'

/**
 * Table names of {@link opencodeDdl} and {@link createOpencodeTables} (default `opencode_subjects`
 * and `opencode_messages`).
 *
 * @example
 * ```ts
 * const options: OpencodeTablesOptions = { subjectsTable: 'ai_threads', messagesTable: 'ai_replies' }
 * await createOpencodeTables(orm, options)
 * ```
 */
export interface OpencodeTablesOptions {
  subjectsTable?: string
  messagesTable?: string
}

function dialectOf(orm: MikroORM | EntityManager): SqlDialect {
  const em = 'fork' in orm ? orm : orm.em
  const platform = em.getPlatform().constructor.name.toLowerCase()
  if (platform.includes('sqlite')) return 'sqlite'
  if (platform.includes('postgre')) return 'postgresql'
  if (platform.includes('mysql') || platform.includes('maria')) return 'mysql'
  throw new Error(`opencodeDdl: unsupported platform ${platform} (PostgreSQL, MySQL/MariaDB, SQLite)`)
}

/**
 * The shipped schema's DDL for the ORM's platform (PostgreSQL, MySQL/MariaDB or SQLite): the same
 * column types, defaults and constraint names as `@opencode-kit/adapter-knex`'s migration, so the
 * tables are interchangeable between the adapters. Every statement is idempotent (`if not exists`).
 * Put them in a MikroORM migration, or run them with {@link createOpencodeTables}.
 *
 * @example
 * ```ts
 * // migrations/Migration20260101000000.ts (with @mikro-orm/migrations)
 * import { Migration } from '@mikro-orm/migrations'
 * import { opencodeDdl } from '@opencode-kit/adapter-mikro-orm'
 *
 * export class Migration20260101000000 extends Migration {
 *   async up() {
 *     for (const sql of opencodeDdl(this.getEntityManager())) this.addSql(sql)
 *   }
 *   async down() {
 *     this.addSql('drop table if exists opencode_messages')
 *     this.addSql('drop table if exists opencode_subjects')
 *   }
 * }
 * ```
 */
export function opencodeDdl(orm: MikroORM | EntityManager, options: OpencodeTablesOptions = {}): string[] {
  return kitDdl(dialectOf(orm), options)
}

/**
 * Create the shipped schema's two tables if they are missing ({@link opencodeDdl}, run on the ORM's
 * connection). Handy in development and tests; in production put the statements in a migration.
 *
 * @example
 * ```ts
 * const orm = await MikroORM.init({ driver: BetterSqliteDriver, dbName: 'app.db', entities: [OpencodeSubjectSchema, OpencodeMessageSchema] })
 * await createOpencodeTables(orm)
 * ```
 */
export async function createOpencodeTables(
  orm: MikroORM | EntityManager,
  options: OpencodeTablesOptions = {},
): Promise<void> {
  const connection = ('fork' in orm ? orm : orm.em).getConnection()
  for (const sql of opencodeDdl(orm, options)) await connection.execute(sql)
}
