/**
 * `@opencode-kit/storage-fs`: message attachments on a local directory — atomic replace, streamed
 * writes, safe keys.
 */
export { FsStorage, type FsStorageOptions, fsStorage } from './FsStorage.js'
export { safeName } from './safeName.js'
