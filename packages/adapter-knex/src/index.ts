/**
 * `@opencode-kit/adapter-knex`: `RecordPort` and `MessagePort` on knex, for PostgreSQL,
 * MySQL/MariaDB and SQLite, plus the shipped schema as a knex migration source.
 */

/** The shipped schema as plain SQL, for migrators that take SQL (the kit's, as every adapter's). */
export { type DdlOptions, opencodeDdl, type SqlDialect } from '@opencode-kit/core/adapter'
export { type KnexAdapter, type KnexAdapterOptions, knexAdapter } from './knexAdapter.js'
export {
  type OpencodeMigration,
  type OpencodeMigrationsOptions,
  opencodeMigrations,
} from './opencodeMigrations.js'
