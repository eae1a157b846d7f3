import { type ErrorHook, warnOnConsole } from '@opencode-kit/core'
import type { RelayError, RelayOperation } from './RelayError.js'

/** Report one relay failure: never throws, whatever the hook does. */
export type RelayReport = (error: RelayError, operation: RelayOperation, messageId?: string) => void

/**
 * The relay's reporting, through an {@link ErrorHook} like the kit's own (`feature:
 * 'opencode.relay'`, `action`: the operation), so one hook serves both. A hook that throws or
 * rejects is written to `console.error` and changes nothing.
 */
export function relayReporter(hook: ErrorHook = warnOnConsole): RelayReport {
  const escaped = (failure: unknown) => {
    try {
      console.error('[opencode-kit] the onError hook failed', failure)
    } catch {
      // nothing left to tell
    }
  }
  return (error, operation, messageId) => {
    try {
      const result = hook(error, {
        feature: 'opencode.relay',
        action: operation,
        severity: 'warning',
        handled: true,
        ...(messageId === undefined ? {} : { messageId }),
      })
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        Promise.resolve(result).then(undefined, escaped)
      }
    } catch (failure) {
      escaped(failure)
    }
  }
}
