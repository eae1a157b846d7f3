/**
 * `@opencode-kit/adapter-sequelize`: the core's `RecordPort` and `MessagePort` on Sequelize v6
 * (PostgreSQL, MySQL/MariaDB, SQLite), the shipped models and their migration.
 */

/** The shipped schema as plain SQL, for migrators that take SQL (the kit's, as every adapter's). */
export { type DdlOptions, opencodeDdl, type SqlDialect } from '@opencode-kit/core/adapter'
export {
  defineOpencodeModels,
  type OpencodeModels,
  type OpencodeModelsOptions,
} from './defineOpencodeModels.js'
export {
  createOpencodeTables,
  dropOpencodeTables,
  type MigrationArgument,
  type OpencodeTableNames,
  opencodeMigration,
} from './opencodeMigration.js'
export {
  type SequelizeAdapter,
  type SequelizeAdapterOptions,
  type SequelizeTableOptions,
  sequelizeAdapter,
} from './sequelizeAdapter.js'
