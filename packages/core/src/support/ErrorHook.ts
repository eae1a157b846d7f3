/** Where a reported error happened and what the library did about it. */
export interface ErrorContext {
  /** The part of the library that reports: `opencode.stream`, `opencode.reply`, `opencode.turn`, … */
  feature: string
  /** What it was doing (`snapshot`, `parse_frame`, `observer`, …). */
  action?: string
  /** `warning` when the library recovered and carried on (the default), `error` when the work failed. */
  severity?: 'warning' | 'error'
  /** True when the error was contained and the work went on. */
  handled?: boolean
  /** The upstream session, when there is one. */
  sessionId?: string
  /** Anything else that identifies the work (ids, names). */
  [key: string]: unknown
}

/**
 * Receives the errors the library contains instead of throwing (a skipped malformed frame, a
 * throwing observer or callback, a failed best-effort call). It may be async; a throw or a
 * rejection of the hook itself is contained too (written to `console.error`). Configure it per
 * client or kit (`onError`); the default is {@link warnOnConsole}.
 *
 * @example
 * ```ts
 * const onError: ErrorHook = (error, { feature, severity }) =>
 *   Sentry.captureException(error, { level: severity, tags: { feature } })
 * const client = new Client({ onError })
 * ```
 */
export type ErrorHook = (error: unknown, context: ErrorContext) => unknown
