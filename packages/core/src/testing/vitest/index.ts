/**
 * `@opencode-kit/core/testing/vitest`: the contract suites every adapter runs against a real
 * database or blob store (`describeRecordPort`, `describeMessagePort`, `describeStoragePort`).
 * Needs `vitest` (an optional peer dependency).
 */
export * from './describeMessagePort.js'
export * from './describeRecordPort.js'
export * from './describeStoragePort.js'
