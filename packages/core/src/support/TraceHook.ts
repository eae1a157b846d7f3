/**
 * Receives the library's trace events: `name` without the `opencode.` prefix (`request`,
 * `stream.connected`, `turn.finished`, …) and a payload with camelCase keys. The same events are
 * published on `node:diagnostics_channel` as `opencode.<name>`, where that module exists. It may
 * be async; what it returns is ignored, and a throw or rejection is reported through `onError`.
 *
 * @example
 * ```ts
 * const client = new Client({ onTrace: (name, payload) => logger.debug(payload, name) })
 * ```
 */
export type TraceHook = (name: string, payload: Record<string, unknown>) => unknown
