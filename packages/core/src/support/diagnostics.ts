interface Channel {
  hasSubscribers: boolean
  publish(message: unknown): void
}
interface DiagnosticsChannelModule {
  channel(name: string): Channel
}

/** `node:diagnostics_channel` without a static `node:` import, so this module runs on edge runtimes too. */
const diagnostics: DiagnosticsChannelModule | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    return proc?.getBuiltinModule?.('node:diagnostics_channel') as DiagnosticsChannelModule | undefined
  } catch {
    return undefined
  }
})()

/**
 * Publish `payload` on the `node:diagnostics_channel` channel `name` (the platform's process-wide
 * bus: `diagnostics_channel.subscribe('opencode.request', …)`). Does nothing where the module does
 * not exist, or when nobody subscribed.
 *
 * @example
 * ```ts
 * publishDiagnostics('opencode.request', { method: 'GET', path: '/session' })
 * ```
 */
export function publishDiagnostics(name: string, payload: Record<string, unknown>): void {
  if (!diagnostics) return
  const channel = diagnostics.channel(name)
  if (channel.hasSubscribers) channel.publish(payload)
}
