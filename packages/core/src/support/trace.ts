import { publishDiagnostics } from './diagnostics.js'
import type { ErrorHook } from './ErrorHook.js'
import { reportError } from './reportError.js'
import type { TraceHook } from './TraceHook.js'

/**
 * Emit one trace event: publish it on `node:diagnostics_channel` as `opencode.<name>` and hand it
 * to `hook`. Never throws and never changes the traced work's result: a failing hook is reported
 * through `onError`.
 *
 * @example
 * ```ts
 * trace(options.onTrace, 'request', { method, path }, options.onError)
 * ```
 */
export function trace(
  hook: TraceHook | undefined,
  name: string,
  payload: Record<string, unknown>,
  onError?: ErrorHook,
): void {
  publishDiagnostics(`opencode.${name}`, payload)
  if (!hook) return
  const fail = (error: unknown) =>
    reportError(onError, error, { feature: 'opencode.trace', action: 'on_trace', traceName: name })
  try {
    const result = hook(name, payload)
    if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as PromiseLike<unknown>).then === 'function'
    )
      Promise.resolve(result).then(undefined, fail)
  } catch (error) {
    fail(error)
  }
}
