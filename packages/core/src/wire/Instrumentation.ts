/**
 * Global instrumentation: the Node equivalent of ActiveSupport::Notifications. Every event is
 * published on the `node:diagnostics_channel` channel of the same name (`opencode.request`,
 * `opencode.apply_patch.artifacts_dropped`, …) when that module exists, and handed to an optional
 * adapter. No adapter and no subscriber: nothing happens.
 *
 * @example
 * ```ts
 * import diagnostics_channel from 'node:diagnostics_channel'
 * diagnostics_channel.subscribe('opencode.request', (payload) => console.log(payload))
 * ```
 */

/** Receives every event; for `instrument`, `run` executes the instrumented work and must be called. */
export type InstrumentationAdapter = <T>(name: string, payload: Record<string, unknown>, run: () => T) => T

interface Channel {
  hasSubscribers: boolean
  publish(message: unknown): void
}
interface DiagnosticsChannelModule {
  channel(name: string): Channel
}

let diagnostics: DiagnosticsChannelModule | null | undefined

/** `node:diagnostics_channel` without a static `node:` import, so the wire layer still runs on edge runtimes. */
function diagnosticsChannel(): DiagnosticsChannelModule | null {
  if (diagnostics !== undefined) return diagnostics
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    diagnostics =
      (proc?.getBuiltinModule?.('node:diagnostics_channel') as DiagnosticsChannelModule | undefined) ?? null
  } catch {
    diagnostics = null
  }
  return diagnostics
}

function publish(name: string, payload: Record<string, unknown>): void {
  const channel = diagnosticsChannel()?.channel(name)
  if (channel?.hasSubscribers) channel.publish(payload)
}

/** The process-wide instrumentation hub. */
export const Instrumentation: {
  /** Optional adapter (OpenTelemetry, StatsD…); `undefined` by default. */
  adapter: InstrumentationAdapter | undefined
  /** Publish `name` and run `run` through the adapter (or directly). Returns what `run` returns. */
  instrument<T>(name: string, payload: Record<string, unknown>, run: () => T): T
  /** Fire-and-forget event. */
  notify(name: string, payload: Record<string, unknown>): void
} = {
  adapter: undefined,
  instrument(name, payload, run) {
    publish(name, payload)
    const adapter = Instrumentation.adapter
    return adapter ? adapter(name, payload, run) : run()
  },
  notify(name, payload) {
    publish(name, payload)
    Instrumentation.adapter?.(name, payload, () => undefined)
  },
}
