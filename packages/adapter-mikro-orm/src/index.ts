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
export {
  type MikroOrmAdapter,
  type MikroOrmAdapterOptions,
  type MikroOrmTableOptions,
  mikroOrmAdapter,
} from './mikroOrmAdapter.js'
