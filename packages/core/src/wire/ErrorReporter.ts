/**
 * Where opencode-kit sends the errors it swallows (a skipped malformed SSE frame, a failed activity
 * tick, a throwing observer or callback). Does nothing until you set an adapter; the option
 * vocabulary mirrors `Rails.error.report` and maps directly onto Sentry's `captureException`.
 *
 * It lives in the wire layer because the wire client already reports skipped frames; the
 * orchestration layer uses the same reporter.
 *
 * @example
 * ```ts
 * import * as Sentry from '@sentry/node'
 * ErrorReporter.adapter = (error, { severity, context }) =>
 *   Sentry.captureException(error, { level: severity, extra: context })
 * ```
 */

/** How bad a reported error is. */
export type ErrorSeverity = 'warning' | 'error'

/** Options passed through to the adapter unchanged. */
export interface ErrorReportOptions {
  /** True when the library recovered from the error. */
  handled?: boolean
  severity?: ErrorSeverity
  /** Where it happened: `feature`, `action`, ids. */
  context?: Record<string, unknown>
}

/** Receives every reported error. Its return value is returned by {@link ErrorReporter.report}. */
export type ErrorReporterAdapter = (error: unknown, options: ErrorReportOptions) => unknown

/** The process-wide error reporter. */
export const ErrorReporter: {
  /** The adapter; `undefined` (the default) drops reports. */
  adapter: ErrorReporterAdapter | undefined
  /**
   * Hand `error` and `options` to the adapter unchanged and return its result; `undefined` when no
   * adapter is set. An adapter that throws propagates: hiding the error tracker's own outage is
   * worse. Library code that must not fail because of it calls {@link reportSafely}.
   */
  report(error: unknown, options?: ErrorReportOptions): unknown
} = {
  adapter: undefined,
  report(error, options = {}) {
    return ErrorReporter.adapter?.(error, options)
  },
}

/**
 * Report without ever throwing: used inside error handlers and callbacks, where a throwing
 * adapter must not turn a finished result into a failure. A throwing adapter is written to
 * `console.error` as the last resort.
 */
export function reportSafely(error: unknown, options: ErrorReportOptions = {}): void {
  try {
    ErrorReporter.report(error, options)
  } catch (adapterError) {
    console.error('[opencode-kit] ErrorReporter adapter threw', adapterError)
  }
}
