/**
 * `@opencode-kit/core`: the OpenCode wire client and the turn orchestration layer.
 * Runtime-agnostic (Node ≥ 20, Bun, Deno, edge); the Node-only sandbox lives at
 * `@opencode-kit/core/sandbox` and the test kit at `@opencode-kit/core/testing`.
 */

export * from './host/index.js'
export * from './serve/index.js'
export type { Clock, ErrorContext, ErrorHook, TraceHook } from './support/index.js'
export { systemClock, warnOnConsole } from './support/index.js'
export * from './wire/index.js'
