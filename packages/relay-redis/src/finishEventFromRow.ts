import type { MessageRow } from '@opencode-kit/core'
import type { FinishEvent } from './subscribeToLog.js'

/**
 * The `finish` event a finished message row stands for, or `null` while the row is `pending`.
 * The database row is the source of truth once a turn's log is gone: pass this as a subscription's
 * `settled` callback, and a browser that arrives after the log expired still gets the final
 * content, status and usage. Its `seq` is a placeholder (the subscription numbers it).
 *
 * @example
 * ```ts
 * relay.subscribe(messageId, {
 *   after,
 *   signal,
 *   settled: async () => finishEventFromRow(await messages.load(messageId)),
 * })
 * ```
 */
export function finishEventFromRow(row: MessageRow): FinishEvent | null {
  if (row.status === 'pending') return null
  return {
    type: 'finish',
    seq: 0,
    status: row.status,
    content: row.content,
    usage: {
      cost: row.cost ?? 0,
      inputTokens: row.inputTokens ?? 0,
      outputTokens: row.outputTokens ?? 0,
      reasoningTokens: 0,
      cacheReadTokens: row.cacheReadTokens ?? 0,
      cacheWriteTokens: row.cacheWriteTokens ?? 0,
    },
  }
}
