import type { RelayError, RelayErrorContext } from './RelayError.js'

/** The relay's `onError` hook. It may be async and may reject: either way the relay carries on. */
export type RelayErrorHook = (error: RelayError, context: RelayErrorContext) => unknown

/** Default hook: one concise line, so a broken Redis is never silent. */
export const warnRelayError: RelayErrorHook = (error, context) => {
  const turn = context.messageId === undefined ? '' : ` (message ${context.messageId})`
  console.warn(`[opencode-kit relay] ${context.operation}${turn}: ${error.message}`)
}

/** Wrap a user hook so a throw or a rejection is printed instead of escaping into the relay. */
export function containedHook(hook: RelayErrorHook): RelayErrorHook {
  const escaped = (failure: unknown) => console.warn('[opencode-kit relay] the onError hook failed:', failure)
  return (error, context) => {
    try {
      const result = hook(error, context)
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        ;(result as PromiseLike<unknown>).then(undefined, escaped)
      }
    } catch (failure) {
      escaped(failure)
    }
  }
}
