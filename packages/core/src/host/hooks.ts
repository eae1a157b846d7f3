// The hooks a host-layer object reports through, and containment of user callbacks. Internal:
// the public hook types and the default reporter live in support/.
import type { ErrorHook } from '../support/ErrorHook.js'
import type { TraceHook } from '../support/TraceHook.js'

/** A kit's (or a turn's) own hooks; `onError` undefined means the default `warnOnConsole`. */
export interface Hooks {
  onError: ErrorHook | undefined
  onTrace: TraceHook | undefined
}

/**
 * Call a user callback that may throw or return a rejected promise; whatever fails goes to
 * `onFailure` (which must not throw). Resolves when the callback settled.
 */
export async function contain(run: () => unknown, onFailure: (error: unknown) => void): Promise<void> {
  try {
    await run()
  } catch (error) {
    onFailure(error)
  }
}
