import type { TurnEvent } from '../host/TurnEvent.js'
import { type Clock, systemClock } from '../support/Clock.js'
import type { ErrorHook } from '../support/ErrorHook.js'
import { reportError } from '../support/reportError.js'
import { HEARTBEAT_FRAME, turnEventFrame } from './turnEventFrame.js'

/**
 * Where a served stream's events come from: an async iterable (`turn.events` in the same process),
 * or a function that opens one from where the client stands (`({ after, signal }) =>
 * relay.subscribe(messageId, { after, signal })`). The `signal` aborts when the client goes away.
 */
export type EventStreamSource =
  | AsyncIterable<TurnEvent>
  | ((from: { after: number; signal: AbortSignal }) => AsyncIterable<TurnEvent>)

/** Options shared by `turnEventResponse` and `sendTurnEvents`. */
export interface EventStreamOptions {
  /**
   * Serve only the events after this `seq`. Default: read from the request (`Last-Event-ID`, else
   * `?after=`; see `lastEventSeq`).
   */
  after?: number
  /** A comment frame after this many ms without an event (default 15 000; 0 turns them off). */
  heartbeatMs?: number
  /** Extra response headers (CORS, cookies…). */
  headers?: Record<string, string>
  /**
   * Told when the source throws (`feature: 'opencode.serve'`); the stream then ends and the client
   * reconnects. Default: `warnOnConsole`.
   */
  onError?: ErrorHook
  /** The source of time for heartbeats (`ManualClock` in tests). */
  clock?: Clock
}

/** Produces a served stream's text chunk by chunk; `close()` releases everything. */
export interface TurnEventPump {
  /** The next chunk (an event frame or a heartbeat), or undefined once the stream is over. */
  next(): Promise<string | undefined>
  /** Stop: aborts the source's signal and calls its iterator's `return()`. Idempotent. */
  close(): void
}

const DEFAULT_HEARTBEAT_MS = 15_000

/**
 * The part the Fetch and Node helpers share: opens the source, skips events at or before `after`,
 * interleaves heartbeats while the source is quiet, ends after the `finish`, and on `close()` (the
 * client went away) aborts the source and calls `return()` on its iterator, so a Redis read or a
 * turn subscription is released at once.
 */
export function createTurnEventPump(
  source: EventStreamSource,
  after: number,
  options: EventStreamOptions,
): TurnEventPump {
  const clock = options.clock ?? systemClock
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
  const controller = new AbortController()
  let iterator: AsyncIterator<TurnEvent> | undefined
  let pending: Promise<IteratorResult<TurnEvent>> | undefined
  let over = false
  let closed!: () => void
  /** Settles when the stream is closed, so a wait on a silent source never outlives the client. */
  const whenClosed = new Promise<'closed'>((resolve) => {
    closed = () => resolve('closed')
  })

  const open = (): AsyncIterator<TurnEvent> => {
    const iterable = typeof source === 'function' ? source({ after, signal: controller.signal }) : source
    return iterable[Symbol.asyncIterator]()
  }

  function close(): void {
    if (over) return
    over = true
    closed()
    controller.abort()
    const current = iterator
    iterator = undefined
    pending?.catch(() => {})
    try {
      // An iterable handed over before it was read is ours to release as well.
      const release = current ?? (typeof source === 'function' ? undefined : source[Symbol.asyncIterator]())
      release?.return?.()?.catch?.(() => {})
    } catch {
      // a return() that throws has released what it could
    }
  }

  async function next(): Promise<string | undefined> {
    for (;;) {
      if (over) return undefined
      try {
        iterator ??= open()
        pending ??= iterator.next()
        const result = await Promise.race([heartbeatMs > 0 ? raceHeartbeat(pending) : pending, whenClosed])
        if (result === 'closed' || over) return undefined
        if (result === 'heartbeat') return HEARTBEAT_FRAME
        pending = undefined
        if (result.done) {
          close()
          return undefined
        }
        const event = result.value
        if (event.seq <= after) continue
        after = event.seq
        if (event.type === 'finish') close()
        return turnEventFrame(event)
      } catch (error) {
        if (!over)
          reportError(options.onError, error, {
            feature: 'opencode.serve',
            action: 'source',
            severity: 'warning',
            handled: true,
          })
        close()
        return undefined
      }
    }
  }

  // One sleep at a time, not one per event: a heartbeat goes out once nothing was sent for
  // heartbeatMs (a timer armed and cancelled per event costs more than the event).
  let heartbeat: Promise<'heartbeat'> | undefined
  let lastSent = clock.now()

  async function raceHeartbeat(
    event: Promise<IteratorResult<TurnEvent>>,
  ): Promise<IteratorResult<TurnEvent> | 'heartbeat'> {
    for (;;) {
      heartbeat ??= clock.sleep(Math.max(0, lastSent + heartbeatMs - clock.now()), controller.signal).then(
        () => 'heartbeat' as const,
        () => new Promise<never>(() => {}),
      )
      const result = await Promise.race([event, heartbeat])
      if (result !== 'heartbeat') {
        lastSent = clock.now()
        return result
      }
      heartbeat = undefined
      if (clock.now() - lastSent >= heartbeatMs) {
        lastSent = clock.now()
        return result
      }
    }
  }

  return { next, close }
}
