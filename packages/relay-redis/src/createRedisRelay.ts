import {
  type Clock,
  type ErrorHook,
  InvalidArgumentError,
  type RowId,
  systemClock,
  type TurnEvent,
} from '@opencode-kit/core'
import type { Redis } from 'ioredis'
import { createPublisher } from './createPublisher.js'
import { createReadHub } from './createReadHub.js'
import { relayReporter } from './reporter.js'
import { type SubscribeOptions, subscribeToLog } from './subscribeToLog.js'

/** Options of {@link createRedisRelay}. */
export interface RedisRelayOptions {
  /**
   * Your ioredis client. The relay writes with it and makes short reads with it; subscriptions
   * that wait for new events share one blocking connection (`redis.duplicate()`), opened while any
   * waits. The relay never closes this client.
   */
  redis: Redis
  /** Prefix of each turn's stream key (`<prefix><messageId>`). Default `opencode-kit:turn:`. */
  prefix?: string
  /**
   * Approximate cap on a turn's log (`XADD … MAXLEN ~`), in events. Default 10 000: text deltas
   * are coalesced, so a long turn stays well below it; beyond it the oldest events go, and a
   * subscriber from the start sees a jump in `seq` (the row then has the truth).
   */
  maxLength?: number
  /** Seconds a turn's log lives after its `finish`, for late subscribers. Default 600. */
  ttlSeconds?: number
  /**
   * Seconds a running turn's log lives after its latest event, so the log of a turn whose worker
   * died still goes away (the expiry is pushed back at most every quarter of this: a log expires
   * between ¾ and 1× of it after its latest event). Default 3600.
   */
  idleTtlSeconds?: number
  /**
   * Most events waiting to be written (Redis slow or unreachable). Past it, or past
   * {@link RedisRelayOptions.maxQueuedBytes}, a turn's further events are dropped except its
   * `finish`, and the drop is reported. Default 10 000.
   */
  maxQueued?: number
  /** Most bytes of JSON waiting to be written. Default 32 MiB. */
  maxQueuedBytes?: number
  /**
   * Longest one blocking read waits, in ms; a subscription that got nothing for this long asks its
   * `settled` callback again. Default 5000.
   */
  blockMs?: number
  /**
   * Told about every failure (Redis unreachable, queue full, a malformed entry) as a `RelayError`
   * with `{ feature: 'opencode.relay', action, messageId }`: the kit's `onError` fits. It may be
   * async and may reject; nothing it does reaches the turn. Default: `warnOnConsole`.
   */
  onError?: ErrorHook
  /** The source of time for retry delays (`ManualClock` in tests). */
  clock?: Clock
}

/**
 * A turn event relay on Redis Streams: the worker publishes each turn's events as they happen, any
 * process subscribes to one turn from the start or after the last `seq` it saw.
 */
export interface RedisRelay {
  /**
   * Queue one event of the turn that fills `messageId` for writing. Returns at once and never
   * throws: a slow or unreachable Redis never slows the turn (failures go to `onError`).
   */
  publish(messageId: RowId, event: TurnEvent): void
  /**
   * Publish every event of `events` (a turn's `turn.events`) as it comes; resolves when they end.
   * The writes may still be queued then: `flush()` waits for them.
   */
  pipe(messageId: RowId, events: AsyncIterable<TurnEvent>): Promise<void>
  /**
   * One turn's events, from the start or after `options.after`, in `seq` order, each once; ends
   * after the `finish`. A jump in `seq` means events are gone (trimmed by the cap, or dropped while
   * Redis was unreachable): the `finish`'s `content` is then the truth. Ending the loop, calling
   * `return()` or aborting the signal ends it at once, also while it waits.
   */
  subscribe(messageId: RowId, options?: SubscribeOptions): AsyncIterableIterator<TurnEvent>
  /** Resolves once every event published so far is written to Redis (or dropped and reported). */
  flush(): Promise<void>
  /**
   * Waits up to `timeoutMs` (default 5000) for queued events to be written, drops the rest
   * (reported), and ends every subscription. The Redis client stays open: it is yours.
   */
  close(options?: { timeoutMs?: number }): Promise<void>
}

/**
 * Create a relay that carries turns' events between processes through Redis Streams: one stream per
 * turn (`<prefix><messageId>`), entry ids `0-<seq>`, capped with `MAXLEN ~`, expiring
 * `ttlSeconds` after the `finish`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createRedisRelay, finishEventFromRow } from '@opencode-kit/relay-redis'
 *
 * const relay = createRedisRelay({ redis: new Redis(process.env.REDIS_URL!) })
 *
 * // the worker
 * const turn = kit.startTurn({ subjectId, messageId, prompt })
 * await relay.pipe(messageId, turn.events)
 *
 * // any web process: follow it (resume after the browser's Last-Event-ID)
 * for await (const event of relay.subscribe(messageId, {
 *   after: lastEventId,
 *   signal,
 *   settled: async () => finishEventFromRow(await messages.load(messageId)),
 * })) send(event)
 * ```
 */
export function createRedisRelay(options: RedisRelayOptions): RedisRelay {
  const { redis } = options
  if (!redis || typeof redis.duplicate !== 'function' || typeof redis.pipeline !== 'function') {
    throw new InvalidArgumentError('createRedisRelay: `redis` must be an ioredis client')
  }
  const prefix = options.prefix ?? 'opencode-kit:turn:'
  const clock = options.clock ?? systemClock
  const report = relayReporter(options.onError)
  const keyOf = (messageId: string) => `${prefix}${messageId}`
  const positive = (name: string, value: number | undefined, fallback: number) => {
    const resolved = value ?? fallback
    if (!(resolved > 0) || !Number.isFinite(resolved))
      throw new InvalidArgumentError(`createRedisRelay: \`${name}\` must be a positive number`)
    return resolved
  }

  const publisher = createPublisher({
    redis,
    keyOf,
    maxLength: Math.floor(positive('maxLength', options.maxLength, 10_000)),
    ttlMs: Math.round(positive('ttlSeconds', options.ttlSeconds, 600) * 1000),
    idleTtlMs: Math.round(positive('idleTtlSeconds', options.idleTtlSeconds, 3600) * 1000),
    maxQueued: positive('maxQueued', options.maxQueued, 10_000),
    maxQueuedBytes: positive('maxQueuedBytes', options.maxQueuedBytes, 32 * 1024 * 1024),
    clock,
    report,
  })
  const hub = createReadHub({
    redis,
    prefix,
    blockMs: Math.round(positive('blockMs', options.blockMs, 5_000)),
    clock,
    report,
  })
  const subscriptionSettings = { redis, hub, clock, report }
  const subscriptions = new Set<AsyncIterableIterator<TurnEvent>>()
  let closed = false

  return {
    publish: (messageId, event) => publisher.publish(String(messageId), event),

    async pipe(messageId, events) {
      const id = String(messageId)
      let finished = false
      for await (const event of events) {
        publisher.publish(id, event)
        finished = event.type === 'finish'
      }
      if (!finished) publisher.forget(id)
    },

    subscribe(messageId, subscribeOptions = {}) {
      const id = String(messageId)
      const subscription = subscribeToLog(subscriptionSettings, id, keyOf(id), subscribeOptions, () =>
        subscriptions.delete(subscription),
      )
      if (closed) void subscription.return?.()
      else subscriptions.add(subscription)
      return subscription
    },

    flush: () => publisher.flush(),

    async close({ timeoutMs = 5_000 } = {}) {
      closed = true
      const timeout = new AbortController()
      await Promise.race([publisher.flush(), clock.sleep(timeoutMs, timeout.signal).catch(() => {})])
      timeout.abort()
      publisher.stop()
      for (const subscription of [...subscriptions]) await subscription.return?.()
      hub.close()
    },
  }
}
