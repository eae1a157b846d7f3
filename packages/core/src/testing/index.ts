/**
 * `@opencode-kit/core/testing`: an in-process OpenCode stand-in (a scenario builder served on a
 * real loopback port), in-memory reference ports and a manual clock. Imports no test runner and no
 * mocking library, so it loads from ESM and CommonJS anywhere (a demo, a dev server, a script).
 * The contract suites live at `@opencode-kit/core/testing/vitest`, the MSW handlers at
 * `@opencode-kit/core/testing/msw`.
 */
export * from './ManualClock.js'
export * from './memory/index.js'
export * from './standin/index.js'
