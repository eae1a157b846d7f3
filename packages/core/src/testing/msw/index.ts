/**
 * `@opencode-kit/core/testing/msw`: the OpenCode stand-in as MSW request handlers, for in-process
 * tests with `setupServer` (msw/node) or `setupWorker`. Needs `msw` (an optional peer dependency).
 */
export * from './standInHandlers.js'
