/**
 * `@opencode-kit/adapter-knex`: `RecordPort` and `MessagePort` on knex, for PostgreSQL,
 * MySQL/MariaDB and SQLite, plus the shipped schema as a knex migration source.
 */
export { type KnexAdapter, type KnexAdapterOptions, knexAdapter } from './knexAdapter.js'
export {
  type OpencodeMigration,
  type OpencodeMigrationsOptions,
  opencodeMigrations,
} from './opencodeMigrations.js'
