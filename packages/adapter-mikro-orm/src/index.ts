/**
 * `@opencode-kit/adapter-mikro-orm`: the opencode-kit RecordPort and MessagePort on MikroORM 6.
 */
export { createOpencodeTables, type OpencodeTablesOptions, opencodeDdl } from './createOpencodeTables.js'
export {
  defineOpencodeEntities,
  type OpencodeEntityOptions,
  type OpencodeMessageEntity,
  type OpencodeSubjectEntity,
} from './entities.js'
export { MikroOrmMessagePort } from './MikroOrmMessagePort.js'
export { MikroOrmRecordPort } from './MikroOrmRecordPort.js'
export { type MikroOrmAdapter, mikroOrmAdapter } from './mikroOrmAdapter.js'
export type { MessageProperties, MikroOrmAdapterOptions, SubjectProperties } from './options.js'
