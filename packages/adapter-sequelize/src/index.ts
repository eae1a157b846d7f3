/**
 * `@opencode-kit/adapter-sequelize`: the core's `RecordPort` and `MessagePort` on Sequelize v6
 * (PostgreSQL, MySQL/MariaDB, SQLite), the shipped models and their migration.
 */
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
