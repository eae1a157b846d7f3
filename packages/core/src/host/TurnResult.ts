import { truncate } from '../wire/types.js'
import type { MessageRow, RowId } from './ports.js'
import type { TurnStatus, TurnUsage } from './TurnEvent.js'

/** What every {@link TurnResult} carries. */
interface TurnResultBase {
  /** The assistant message row. */
  messageId: RowId
  /** The message row as persisted when the turn ended (null if it could not be re-read). */
  message: MessageRow | null
  /** Milliseconds since the turn started. */
  durationMs: number
  /** Cost and tokens, summed over every model step of the tool loop (zeros when none ran). */
  usage: TurnUsage
}

/**
 * How a turn ended, narrowed by `status`:
 *
 * - `completed`: the row was finalized.
 * - `cancelled`: the user stopped the turn (a cancelled row, an aborted signal), or the finalize
 *   compare-and-set lost to a concurrent cancel.
 * - `error`: a controlled failure — the model provider failed (`UpstreamError`) or the agent
 *   produced nothing (`EmptyReplyError`); the row holds the fallback text.
 * - `failed`: an unexpected exception (`error` holds it); the row holds the fallback text.
 *
 * @example
 * ```ts
 * const result = await kit.runTurn({ subjectId, messageId, prompt: 'Summarize the ticket' })
 * if (result.status === 'completed') metrics.record({ cost: result.usage.cost })
 * else if (result.status === 'failed') logger.error(result.error)
 * ```
 */
export type TurnResult =
  | (TurnResultBase & { status: 'completed' })
  | (TurnResultBase & { status: 'cancelled' })
  | (TurnResultBase & { status: 'error'; error: Error })
  | (TurnResultBase & { status: 'failed'; error: unknown })

/** Zero usage: a turn that never reached the model. */
export const ZERO_USAGE: TurnUsage = Object.freeze({
  cost: 0,
  inputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
})

/** Build a result (the status decides which fields exist). */
export function turnResult(status: TurnStatus, base: TurnResultBase, error?: unknown): TurnResult {
  if (status === 'error')
    return { status, ...base, error: error instanceof Error ? error : new Error(String(error)) }
  if (status === 'failed') return { status, ...base, error }
  return { status, ...base }
}

/** The `turn.finished` trace payload: camelCase keys, absent values removed. */
export function turnFinishedPayload(result: TurnResult, toolCount?: number): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    status: result.status,
    durationMs: result.durationMs,
    cost: result.message?.cost,
    inputTokens: result.message?.inputTokens,
    outputTokens: result.message?.outputTokens,
  }
  if ('error' in result && result.error !== undefined && result.error !== null) {
    payload.error = errorName(result.error)
    payload.errorMessage = truncate(errorMessage(result.error))
  }
  if (toolCount !== undefined) payload.toolCount = toolCount
  for (const key of Object.keys(payload))
    if (payload[key] === null || payload[key] === undefined) delete payload[key]
  return payload
}

/** The class name of a thrown value (`TimeoutError`, `TypeError`, …). */
export const errorName = (error: unknown): string =>
  error instanceof Error ? error.constructor.name || error.name : typeof error

/** The message of a thrown value. */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)
