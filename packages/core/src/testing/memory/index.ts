export * from './MemoryMessagePort.js'
export * from './MemoryRecordPort.js'
