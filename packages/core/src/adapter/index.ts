/**
 * `@opencode-kit/core/adapter`: the kit for writing an opencode-kit ORM adapter (for adapter
 * authors, not apps). Mapping, coercion and the shared rules live here; an adapter supplies its
 * ORM's statements — "find this row", "lock it", "update it where…", "list these" — and gets the
 * `RecordPort` and `MessagePort` the contract suites expect. The port interfaces themselves
 * (`RecordPort`, `MessagePort`, `StoragePort` and their rows) are here too.
 */
export { PersistenceError, StorageError, UniqueViolationError } from '../host/errors.js'
export type * from '../host/ports.js'
export { InvalidArgumentError } from '../wire/errors.js'
export * from './AdapterOptions.js'
export * from './columns.js'
export * from './createMessagePort.js'
export * from './createRecordPort.js'
export * from './ddl.js'
export * from './mapColumns.js'
export * from './rowCodec.js'
export * from './serializeSqliteWrites.js'
export * from './uniqueViolation.js'
