/**
 * `@opencode-kit/adapter-drizzle`: `RecordPort` and `MessagePort` on Drizzle ORM for PostgreSQL
 * (node-postgres), MySQL/MariaDB (mysql2) and SQLite (better-sqlite3), and the shipped schema as
 * Drizzle tables to import or copy into your own schema.
 */
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
