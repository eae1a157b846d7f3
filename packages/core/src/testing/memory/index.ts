export * from './MemoryRecordPort.js'
