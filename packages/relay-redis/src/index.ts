/**
 * `@opencode-kit/relay-redis`: carry a turn's events from the worker that runs it to any web
 * process, through Redis Streams — bounded, expiring, resumable after any `seq`.
 */
export { createRedisRelay, type RedisRelay, type RedisRelayOptions } from './createRedisRelay.js'
export { finishEventFromRow } from './finishEventFromRow.js'
export { RelayError, type RelayOperation } from './RelayError.js'
export type { FinishEvent, SubscribeOptions } from './subscribeToLog.js'
