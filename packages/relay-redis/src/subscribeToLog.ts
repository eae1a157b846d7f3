import type { Clock, TurnEvent } from '@opencode-kit/core'
import type { Redis } from 'ioredis'
import { RelayError } from './RelayError.js'
import type { RelayErrorHook } from './reporter.js'
import { decodeEntry, entryId, seqOfEntry } from './streamEntry.js'

/** A turn's `finish` event. */
export type FinishEvent = Extract<TurnEvent, { type: 'finish' }>

/** Options of `relay.subscribe`. */
export interface SubscribeOptions {
  /**
   * Resume after this `seq`: the events with a greater one follow (a reconnecting browser's
   * `Last-Event-ID`). Default 0: from the start of the log.
   */
  after?: number
  /** Ends the subscription: the pending read stops and its Redis connection is closed. */
  signal?: AbortSignal
  /**
   * Ask the source of truth (the message row) whether the turn has ended, for when the log has
   * nothing to say: the turn has not started yet, it ended and its log expired, or its worker
   * could not write. Return the `finish` to end with (`finishEventFromRow(await messages.load(id))`),
   * or `null` while the turn runs. Asked when the subscription starts with nothing to read and
   * after each `blockMs` without a new event. The subscription then yields a `restart` (the view is
   * replaced) and that `finish`, and ends. May reject: that is reported and counts as `null`.
   */
  settled?: () => Promise<FinishEvent | null | undefined>
}

/** What a subscription needs from its relay. */
export interface SubscriptionSettings {
  redis: Redis
  blockMs: number
  clock: Clock
  report: RelayErrorHook
}

const READ_COUNT = 500
const MIN_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 5_000

/**
 * Follow one turn's log. The first read is a plain XREAD on the relay's client (a late subscriber
 * to a finished turn never opens a connection); waiting for more is an XREAD BLOCK on a connection
 * of its own (`redis.duplicate()`), opened on first need and closed when the subscription ends.
 * Reads happen only when the consumer asks for the next event, so a slow consumer leaves the
 * events in Redis instead of buffering them here. Read failures (Redis restarting) are reported
 * once and retried with backoff until the subscription ends.
 *
 * `return()` and the signal end it at once, even while a read is pending.
 */
export function subscribeToLog(
  settings: SubscriptionSettings,
  messageId: string,
  key: string,
  options: SubscribeOptions,
  onEnd: () => void,
): AsyncIterableIterator<TurnEvent> {
  const { redis, clock, report } = settings
  let lastSeq = Math.max(0, Math.floor(options.after ?? 0))
  const buffer: TurnEvent[] = []
  let first = true
  let ended = false
  let failing = false
  let backoffMs = MIN_BACKOFF_MS
  let blocking: Redis | undefined
  const stop = new AbortController()
  const signal = options.signal
  const onAbort = () => end()

  function end(): void {
    if (ended) return
    ended = true
    stop.abort()
    signal?.removeEventListener('abort', onAbort)
    blocking?.disconnect()
    blocking = undefined
    onEnd()
  }
  if (signal?.aborted) end()
  else signal?.addEventListener('abort', onAbort, { once: true })

  type XreadReply = [string, [string, string[]][]][] | null

  function take(reply: XreadReply): boolean {
    let took = false
    for (const [, entries] of reply ?? []) {
      for (const [id, fields] of entries) {
        const seq = seqOfEntry(id)
        if (!(seq > lastSeq)) continue
        lastSeq = seq
        took = true
        const event = decodeEntry(fields)
        if (!event) {
          report(new RelayError(`entry ${id} of ${key} is not a turn event: skipped`), {
            operation: 'malformed',
            messageId,
          })
          continue
        }
        event.seq = seq
        buffer.push(event)
      }
    }
    return took
  }

  const readNow = () =>
    redis.xread('COUNT', READ_COUNT, 'STREAMS', key, entryId(lastSeq)) as Promise<XreadReply>

  function blockingConnection(): Redis {
    if (!blocking) {
      blocking = redis.duplicate()
      // Failures surface as rejected reads; without a listener ioredis would print each one.
      blocking.on('error', () => {})
    }
    return blocking
  }

  async function askSettled(): Promise<FinishEvent | null | undefined> {
    try {
      return await options.settled?.()
    } catch (cause) {
      report(new RelayError('the settled callback failed', { cause }), { operation: 'settled', messageId })
      return null
    }
  }

  async function read(): Promise<void> {
    if (first) {
      const reply = await readNow()
      first = false
      if (take(reply)) return
    } else {
      const connection = blockingConnection()
      const reply = (await connection.xread(
        'COUNT',
        READ_COUNT,
        'BLOCK',
        settings.blockMs,
        'STREAMS',
        key,
        entryId(lastSeq),
      )) as XreadReply
      if (take(reply)) return
    }
    if (!options.settled || ended) return
    const finish = await askSettled()
    if (!finish || ended) return
    // The turn has ended. A last look, in case its own events landed while we asked.
    if (take(await readNow())) return
    buffer.push({ type: 'restart', seq: lastSeq + 1, reason: 'stream-recovered' })
    buffer.push({ ...finish, seq: lastSeq + 2 })
  }

  async function pull(): Promise<IteratorResult<TurnEvent>> {
    for (;;) {
      const event = buffer.shift()
      if (event) {
        if (event.type === 'finish') end()
        return { value: event, done: false }
      }
      if (ended) return { value: undefined, done: true }
      try {
        await read()
        failing = false
        backoffMs = MIN_BACKOFF_MS
      } catch (cause) {
        if (ended) continue
        if (!failing) {
          failing = true
          report(new RelayError(`could not read ${key} (${(cause as Error).message}): retrying`, { cause }), {
            operation: 'subscribe',
            messageId,
          })
        }
        try {
          await clock.sleep(backoffMs, stop.signal)
        } catch {
          // ended while waiting
        }
        backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2)
      }
    }
  }

  // Calls to next() run one after another; return() does not wait for a pending one.
  let tail: Promise<unknown> = Promise.resolve()
  const iterator: AsyncIterableIterator<TurnEvent> = {
    next() {
      const result = tail.then(pull, pull)
      tail = result
      return result
    },
    return() {
      end()
      return Promise.resolve({ value: undefined, done: true })
    },
    [Symbol.asyncIterator]() {
      return iterator
    },
  }
  return iterator
}
