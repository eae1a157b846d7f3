import type { ErrorContext, ErrorHook } from './ErrorHook.js'
import { warnOnConsole } from './warnOnConsole.js'

/**
 * Hand a contained error to `hook` (or {@link warnOnConsole} when there is none) without ever
 * throwing: a hook that throws or returns a rejected promise is written to `console.error`, so
 * reporting can never turn a finished result into a failure, nor crash the process with an
 * unhandled rejection.
 *
 * @example
 * ```ts
 * reportError(options.onError, error, { feature: 'opencode.reply', action: 'observer' })
 * ```
 */
export function reportError(hook: ErrorHook | undefined, error: unknown, context: ErrorContext): void {
  const fail = (hookError: unknown) => {
    try {
      console.error('[opencode-kit] the onError hook failed', hookError, 'while reporting', error)
    } catch {
      // Nothing is left to tell.
    }
  }
  try {
    const result = (hook ?? warnOnConsole)(error, context)
    if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as PromiseLike<unknown>).then === 'function'
    )
      Promise.resolve(result).then(undefined, fail)
  } catch (hookError) {
    fail(hookError)
  }
}
