export * from './MemoryMessagePort.js'
export * from './MemoryRecordPort.js'
export * from './MemoryStorage.js'
