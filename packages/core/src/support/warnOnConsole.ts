import type { ErrorContext } from './ErrorHook.js'

/** The context keys worth a line in a log: ids and names, never payloads. */
const SHOWN = ['action', 'sessionId', 'messageId', 'subjectId', 'turnId', 'requestId'] as const

/**
 * The default {@link ErrorHook}: one concise `console.warn` line per error, with where it happened
 * and the ids that find the work, e.g.
 * `[opencode-kit] opencode.stream: ServerError: Malformed SSE frame skipped: {… (sessionId=ses_1)`.
 * Replace it with your logger or error tracker through `onError`.
 *
 * @example
 * ```ts
 * const client = new Client({ onError: (error, context) => { metrics.increment(context.feature); warnOnConsole(error, context) } })
 * ```
 */
export function warnOnConsole(error: unknown, context: ErrorContext): void {
  const ids = SHOWN.filter((key) => context[key] !== undefined && context[key] !== null)
    .map((key) => `${key}=${String(context[key])}`)
    .join(', ')
  console.warn(`[opencode-kit] ${context.feature}: ${describeError(error)}${ids ? ` (${ids})` : ''}`)
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  try {
    return `non-error value: ${typeof error === 'string' ? error : JSON.stringify(error)}`
  } catch {
    return `non-error value: ${String(error)}`
  }
}
