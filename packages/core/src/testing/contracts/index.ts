export * from './describeMessagePort.js'
export * from './describeRecordPort.js'
