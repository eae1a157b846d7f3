/**
 * `@opencode-kit/adapter-mikro-orm`: the opencode-kit RecordPort and MessagePort on MikroORM 6.
 */
export {
  createOpencodeSchema,
  type OpencodeSchemaOptions,
  opencodeSchemaSql,
} from './createOpencodeSchema.js'
export { createOpencodeTables, type OpencodeTablesOptions, opencodeDdl } from './createOpencodeTables.js'
export {
  defineOpencodeEntities,
  type OpencodeEntityOptions,
  type OpencodeMessageEntity,
  OpencodeMessageSchema,
  type OpencodeSubjectEntity,
  OpencodeSubjectSchema,
} from './entities.js'
export { MikroOrmMessagePort } from './MikroOrmMessagePort.js'
export { MikroOrmRecordPort } from './MikroOrmRecordPort.js'
export { type MikroOrmAdapter, mikroOrmAdapter } from './mikroOrmAdapter.js'
export {
  DEFAULT_MESSAGES_TABLE,
  DEFAULT_SUBJECTS_TABLE,
  type MessageColumns,
  type MessageMapping,
  type MessageProperties,
  type MikroOrmAdapterOptions,
  type SubjectColumns,
  type SubjectMapping,
  type SubjectProperties,
} from './options.js'
