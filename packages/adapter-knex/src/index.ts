/**
 * `@opencode-kit/adapter-knex`: `RecordPort` and `MessagePort` on knex, for PostgreSQL,
 * MySQL/MariaDB and SQLite, plus the shipped schema as a knex migration source.
 */
export { KnexMessagePort } from './KnexMessagePort.js'
export { KnexRecordPort } from './KnexRecordPort.js'
export { type KnexAdapter, knexAdapter } from './knexAdapter.js'
export {
  type OpencodeMigration,
  type OpencodeMigrationsOptions,
  opencodeMigrations,
} from './opencodeMigrations.js'
export type { KnexAdapterOptions, MessageColumns, SubjectColumns } from './options.js'
