import { OpencodeError, type OpencodeErrorCode } from '@opencode-kit/core'

/**
 * What the relay was doing when something failed: writing events (`publish`), dropping events
 * because the queue was full (`overflow`), reading a log (`subscribe`), decoding an entry it did
 * not write (`malformed`), or running your `settled` callback (`settled`).
 */
export type RelayOperation = 'publish' | 'overflow' | 'subscribe' | 'malformed' | 'settled'

/** What the relay's `onError` hook is told besides the error. */
export interface RelayErrorContext {
  operation: RelayOperation
  /** The turn's message id, when the failure concerns one turn. */
  messageId?: string
}

/**
 * A relay failure reported through `onError`. The relay never throws it at the turn: publishing
 * failures are retried, then dropped and reported; reading failures are retried while the
 * subscription lives.
 *
 * @example
 * ```ts
 * const relay = createRedisRelay({
 *   redis,
 *   onError: (error, { operation, messageId }) => log.warn({ err: error, operation, messageId }),
 * })
 * ```
 */
export class RelayError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'relay'
}
