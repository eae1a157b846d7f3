/**
 * `@opencode-kit/adapter-drizzle`: `RecordPort` and `MessagePort` on Drizzle ORM for PostgreSQL
 * (node-postgres), MySQL/MariaDB (mysql2) and SQLite (better-sqlite3), and the shipped schema as
 * Drizzle tables to import or copy into your own schema.
 */

/** The shipped schema as plain SQL, for migrators that take SQL (the kit's, as every adapter's). */
export { type DdlOptions, opencodeDdl, type SqlDialect } from '@opencode-kit/core/adapter'
export {
  type DrizzleAdapter,
  type DrizzleAdapterOptions,
  type DrizzleDatabase,
  type DrizzleTableOptions,
  drizzleAdapter,
} from './drizzleAdapter.js'
export {
  mysqlOpencodeTables,
  type OpencodeTableNames,
  pgOpencodeTables,
  sqliteOpencodeTables,
} from './opencodeTables.js'
