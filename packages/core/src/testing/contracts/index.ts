export * from './describeMessagePort.js'
export * from './describeRecordPort.js'
export * from './describeStoragePort.js'
