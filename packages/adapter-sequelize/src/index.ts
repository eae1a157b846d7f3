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
export type {
  MessageMapping,
  MessageNames,
  SequelizeAdapterOptions,
  SubjectMapping,
  SubjectNames,
} from './options.js'
export { SequelizeMessagePort } from './SequelizeMessagePort.js'
export { SequelizeRecordPort } from './SequelizeRecordPort.js'
export { type SequelizeAdapter, sequelizeAdapter } from './sequelizeAdapter.js'
