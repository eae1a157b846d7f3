import { truncate } from '../wire/types.js'
import type { MessageRow, RowId } from './ports.js'
import type { TurnStatus } from './TurnEvent.js'

/**
 * The outcome of {@link Turn.call}, handed to `onTurnFinished` and returned.
 *
 * - `completed`: the row was finalized.
 * - `cancelled`: the user stopped the turn (a cancelled row, an aborted signal), or the finalize
 *   compare-and-set lost to a concurrent cancel.
 * - `error`: a controlled failure (an empty stream, an upstream LLM error); the row holds the
 *   fallback text.
 * - `failed`: an unexpected exception (`error` holds it); the row holds the fallback text.
 *
 * @example
 * ```ts
 * const result = await turn.call()
 * if (result.failed) logger.error(result.error)
 * metrics.histogram('turn.duration', result.durationMs, { status: result.status })
 * ```
 */
export class TurnResult {
  /** How the turn ended. */
  readonly status: TurnStatus
  /** The assistant message row. */
  readonly messageId: RowId
  /** The message row as persisted when the turn ended (null if it could not be re-read). */
  readonly message: MessageRow | null
  /** Milliseconds since `call()` started. */
  readonly durationMs: number
  /** The exception of a `failed` turn. */
  readonly error: unknown
  /** USD, summed over the tool loop (as persisted; null when unknown). */
  readonly cost: number | null
  /** Input tokens over the tool loop (as persisted). */
  readonly inputTokens: number | null
  /** Output tokens over the tool loop (as persisted). */
  readonly outputTokens: number | null

  constructor(init: {
    status: TurnStatus
    messageId: RowId
    message: MessageRow | null
    durationMs: number
    error?: unknown
  }) {
    this.status = init.status
    this.messageId = init.messageId
    this.message = init.message
    this.durationMs = init.durationMs
    this.error = init.error
    this.cost = init.message?.cost ?? null
    this.inputTokens = init.message?.inputTokens ?? null
    this.outputTokens = init.message?.outputTokens ?? null
  }

  /** True when the row was finalized. */
  get completed(): boolean {
    return this.status === 'completed'
  }
  /** True when the user stopped the turn or a cancel won the finalize race. */
  get cancelled(): boolean {
    return this.status === 'cancelled'
  }
  /** True for the controlled `error` status. */
  get errored(): boolean {
    return this.status === 'error'
  }
  /** True for an unexpected exception (see {@link TurnResult.error}). */
  get failed(): boolean {
    return this.status === 'failed'
  }

  /** The `turn.finished` payload: snake_case keys, absent values removed. */
  tracePayload(toolCount?: number): Record<string, unknown> {
    const payload: Record<string, unknown> = {
      status: this.status,
      duration_ms: this.durationMs,
      cost: this.cost,
      input_tokens: this.inputTokens,
      output_tokens: this.outputTokens,
    }
    if (this.error !== undefined && this.error !== null) {
      payload.error = errorName(this.error)
      payload.error_message = truncate(errorMessage(this.error))
    }
    if (toolCount !== undefined) payload.tool_count = toolCount
    for (const key of Object.keys(payload))
      if (payload[key] === null || payload[key] === undefined) delete payload[key]
    return payload
  }
}

/** The class name of a thrown value (`TimeoutError`, `TypeError`, …). */
export const errorName = (error: unknown): string =>
  error instanceof Error ? error.constructor.name || error.name : typeof error

/** The message of a thrown value. */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)
