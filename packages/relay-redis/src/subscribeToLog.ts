import type { Clock, TurnEvent } from '@opencode-kit/core'
import type { Redis } from 'ioredis'
import type { HubReader, ReadHub, StreamEntry } from './createReadHub.js'
import { RelayError } from './RelayError.js'
import type { RelayReport } from './reporter.js'
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
  /** Ends the subscription at once, also while it waits for the next event. */
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
  hub: ReadHub
  clock: Clock
  report: RelayReport
}

const READ_COUNT = 500
const MIN_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 5_000

type XreadReply = [string, StreamEntry[]][] | null

/**
 * Follow one turn's log. The first read is a plain XREAD on the relay's client, so a late
 * subscriber to a finished turn opens nothing; waiting for more goes through the relay's read hub
 * (one blocking connection for all subscriptions, see `createReadHub`), which buffers at most about
 * a thousand entries ahead of a slow consumer and leaves the rest in Redis. A first read that fails
 * (Redis restarting) is reported once and retried with backoff until the subscription ends.
 *
 * `return()` and the signal end it at once, even while it waits.
 */
export function subscribeToLog(
  settings: SubscriptionSettings,
  messageId: string,
  key: string,
  options: SubscribeOptions,
  onEnd: () => void,
): AsyncIterableIterator<TurnEvent> {
  const { redis, hub, clock, report } = settings
  const synthetic: TurnEvent[] = []
  let first = true
  let catchingUp = true
  let registered = false
  let ended = false
  let failing = false
  let backoffMs = MIN_BACKOFF_MS
  let woken: { idle: boolean } | undefined
  let waiting: (() => void) | undefined
  const stop = new AbortController()
  const signal = options.signal
  const onAbort = () => end()

  const reader: HubReader = {
    key,
    lastSeq: Math.max(0, Math.floor(options.after ?? 0)),
    buffer: [],
    wake(idle) {
      woken = { idle: (woken?.idle ?? true) && idle }
      waiting?.()
    },
  }

  function end(): void {
    if (ended) return
    ended = true
    stop.abort()
    signal?.removeEventListener('abort', onAbort)
    if (registered) hub.remove(reader)
    waiting?.()
    onEnd()
  }
  if (signal?.aborted) end()
  else signal?.addEventListener('abort', onAbort, { once: true })

  /** Add what a direct read found to the reader's buffer; true if anything was new. */
  function take(reply: XreadReply): boolean {
    let took = false
    for (const [, entries] of reply ?? []) {
      for (const entry of entries) {
        const seq = seqOfEntry(entry[0])
        if (!(seq > reader.lastSeq)) continue
        reader.lastSeq = seq
        reader.buffer.push(entry)
        took = true
      }
    }
    return took
  }

  const readNow = () =>
    redis.xread('COUNT', READ_COUNT, 'STREAMS', key, entryId(reader.lastSeq)) as Promise<XreadReply>

  async function askSettled(): Promise<FinishEvent | null | undefined> {
    try {
      return await options.settled?.()
    } catch (cause) {
      report(new RelayError('the settled callback failed', { cause }), 'settled', messageId)
      return null
    }
  }

  /** The turn may have ended with nothing left in the log: ask, and end with the row's finish. */
  async function settle(lastLook: boolean): Promise<void> {
    if (!options.settled || ended) return
    const finish = await askSettled()
    if (!finish || ended) return
    // A last look, in case its own events landed while we asked (Redis may be the thing that is down).
    if (lastLook && take(await readNow().catch(() => null))) return
    synthetic.push({ type: 'restart', seq: reader.lastSeq + 1, reason: 'stream-recovered' })
    synthetic.push({ ...finish, seq: reader.lastSeq + 2 })
  }

  function nextEntry(): TurnEvent | undefined {
    for (;;) {
      const entry = reader.buffer.shift()
      if (!entry) return undefined
      if (registered) hub.taken(reader)
      const event = decodeEntry(entry[1])
      if (!event) {
        report(
          new RelayError(`entry ${entry[0]} of ${key} is not a turn event: skipped`),
          'malformed',
          messageId,
        )
        continue
      }
      event.seq = seqOfEntry(entry[0])
      return event
    }
  }

  function wait(): Promise<{ idle: boolean }> {
    return new Promise((resolve) => {
      const done = () => {
        waiting = undefined
        const result = woken ?? { idle: false }
        woken = undefined
        resolve(result)
      }
      if (woken || ended) done()
      else waiting = done
    })
  }

  async function pull(): Promise<IteratorResult<TurnEvent>> {
    for (;;) {
      const event = synthetic.shift() ?? nextEntry()
      if (event) {
        if (event.type === 'finish') end()
        return { value: event, done: false }
      }
      if (ended) return { value: undefined, done: true }
      try {
        if (catchingUp) {
          // Plain reads while they come back full: a finished turn is read without the hub.
          const reply = await readNow()
          const count = reply?.[0]?.[1].length ?? 0
          const took = take(reply)
          if (count >= READ_COUNT) continue
          catchingUp = false
          if (!took && first) await settle(false)
          first = false
          if (synthetic.length > 0 || ended || reader.buffer.length > 0) continue
        }
        if (!registered) {
          registered = true
          hub.add(reader)
        }
        const { idle } = await wait()
        if (idle) await settle(true)
        failing = false
        backoffMs = MIN_BACKOFF_MS
      } catch (cause) {
        if (ended) continue
        if (!failing) {
          failing = true
          report(
            new RelayError(`could not read ${key} (${(cause as Error).message}): retrying`, { cause }),
            'subscribe',
            messageId,
          )
        }
        await clock.sleep(backoffMs, stop.signal).catch(() => {})
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
