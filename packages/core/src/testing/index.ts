/**
 * `@opencode-kit/core/testing`: an in-process OpenCode stand-in (MSW handlers and a real loopback
 * server built from one scenario builder), in-memory reference ports, a manual clock, and the
 * contract suites every adapter runs (`describeRecordPort`, `describeMessagePort`,
 * `describeStoragePort`). msw and vitest are optional peer dependencies of this subpath only.
 */
export * from './contracts/index.js'
export * from './ManualClock.js'
export * from './memory/index.js'
export * from './standin/index.js'
