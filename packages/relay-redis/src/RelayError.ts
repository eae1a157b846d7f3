import { OpencodeError, type OpencodeErrorCode } from '@opencode-kit/core'

/**
 * What the relay was doing when something failed (the `action` its `onError` hook is told): writing events (`publish`), dropping events
 * because the queue was full (`overflow`), reading a log (`subscribe`), decoding an entry it did
 * not write (`malformed`), or running your `settled` callback (`settled`).
 */
export type RelayOperation = 'publish' | 'overflow' | 'subscribe' | 'malformed' | 'settled'

/**
 * A relay failure reported through `onError` (with `feature: 'opencode.relay'`, the operation as
 * `action`, and the turn's `messageId` when there is one). The relay never throws it at the turn: publishing
 * failures are retried, then dropped and reported; reading failures are retried while the
 * subscription lives.
 *
 * @example
 * ```ts
 * const relay = createRedisRelay({
 *   redis,
 *   // the kit's hook fits: context is { feature: 'opencode.relay', action: 'publish' | …, messageId }
 *   onError: (error, { action, messageId }) => log.warn({ err: error, action, messageId }),
 * })
 * ```
 */
export class RelayError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'relay'
}
