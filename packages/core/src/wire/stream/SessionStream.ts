import type { Clock } from '../../support/Clock.js'
import type { ErrorHook } from '../../support/ErrorHook.js'
import { reportError } from '../../support/reportError.js'
import { AbortError, OpencodeError, ServerError, SessionNotFoundError } from '../errors.js'
import { isSessionNotFoundError } from '../serverLineDifferences.js'
import type { OpencodeEvent } from '../types.js'
import type { MalformedFrame } from '../WireClient.js'
import { Alarm } from './Alarm.js'
import type { EventHub, HubSubscriber } from './EventHub.js'
import { isTerminalEvent } from './isTerminalEvent.js'
import { type DeadlineSettings, StreamDeadlines } from './StreamDeadlines.js'

/** Everything one session stream needs, resolved (defaults applied). */
export interface SessionStreamSettings {
  sessionId: string
  signal: AbortSignal | undefined
  onceConnected: (() => unknown) | undefined
  blocked: (() => boolean) | undefined
  deadlines: DeadlineSettings
  readMs: number
  connectMs: number
  reconnectDelayMs: number
  /** Events buffered for a consumer that does not keep up before the stream fails. */
  maxQueuedEvents: number
  clock: Clock
  onError: ErrorHook | undefined
  onMalformedFrame: ((frame: MalformedFrame) => void) | undefined
}

/**
 * One session's events as an async iterable: subscribes to the {@link EventHub} of its server and
 * directory when iterated, runs `onceConnected` once the subscription is live (the prompt), yields
 * `server.connected` per connection, heartbeats and the session's events, and ends after the
 * session's terminal idle — or with a typed error from its deadlines ({@link StreamDeadlines}, one
 * lazily re-armed timer), its signal, or the hub. Leaving the loop early unsubscribes.
 *
 * The hub delivers without waiting for the consumer; a consumer that falls more than
 * `maxQueuedEvents` behind fails the stream instead of growing memory without bound.
 */
export class SessionStream implements AsyncIterable<OpencodeEvent> {
  constructor(
    private readonly settings: SessionStreamSettings,
    private readonly hubFor: () => EventHub,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<OpencodeEvent> {
    return this.run()
  }

  private async *run(): AsyncGenerator<OpencodeEvent, void, undefined> {
    const { sessionId, signal, clock } = this.settings
    if (signal?.aborted) throw abortError(signal)
    const hub = this.hubFor()
    const subscription = new Subscription(this.settings, hub)
    const deadlines = new StreamDeadlines(this.settings.deadlines, clock.now(), sessionId)
    let prompting = false
    const suspended = (now: number) => this.settings.blocked?.() === true && hub.alive(now)
    const check = (now: number) => alarm.arm(deadlines.check(now, suspended(now)))
    const alarm = new Alarm(clock, () => {
      // Re-armed when the prompt returns; no deadline applies once the terminal event arrived.
      if (prompting || subscription.ended) return
      try {
        check(clock.now())
      } catch (error) {
        subscription.fail(error)
      }
    })
    const onAbort = () => subscription.fail(abortError(signal as AbortSignal))
    signal?.addEventListener('abort', onAbort, { once: true })
    let prompted = false
    try {
      check(clock.now())
      hub.add(subscription)
      for (;;) {
        const event = subscription.take() ?? (await subscription.next())
        const type = event.type
        if (type === 'server.connected') {
          if (!prompted) {
            // Once ever, marked before the call: a prompt that may have been delivered is never sent twice.
            prompted = true
            const onceConnected = this.settings.onceConnected
            if (onceConnected) {
              prompting = true
              let accepted: unknown
              try {
                accepted = await onceConnected()
              } finally {
                prompting = false
              }
              subscription.throwIfFailed()
              if (accepted !== false) deadlines.restart(clock.now())
              check(clock.now())
            }
          }
        } else if (type !== 'server.heartbeat') {
          if (isSessionNotFoundError(event))
            throw new SessionNotFoundError(`Session not found: ${sessionId} (reported on the event stream)`, {
              body: event.properties.error,
            })
          if (deadlines.sessionEventSeen) deadlines.sessionEvent(hub.lastChunkAt)
          else {
            // The first session event ends the first-event deadline and starts the idle window.
            deadlines.sessionEvent(hub.lastChunkAt)
            alarm.arm(deadlines.earliestAt)
          }
        }
        // Events are checked against the clock time their bytes arrived (no clock read per event).
        if (!subscription.ended && hub.lastChunkAt >= deadlines.earliestAt) check(hub.lastChunkAt)
        yield event
        subscription.throwIfFailed()
        if (isTerminalEvent(event)) return
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      alarm.stop()
      hub.remove(subscription)
    }
  }
}

/** The stream's end of the hub: a queue of delivered events and the failure, if any. */
class Subscription implements HubSubscriber {
  readonly sessionId: string
  readonly readMs: number
  readonly connectMs: number
  readonly reconnectDelayMs: number
  everConnected = false
  /** True once the session's terminal event was delivered: nothing more is needed from the hub. */
  ended = false
  private queue: OpencodeEvent[] = []
  private head = 0
  private wake: (() => void) | undefined
  private failure: { error: unknown } | undefined

  constructor(
    private readonly settings: SessionStreamSettings,
    private readonly hub: EventHub,
  ) {
    this.sessionId = settings.sessionId
    this.readMs = settings.readMs
    this.connectMs = settings.connectMs
    this.reconnectDelayMs = settings.reconnectDelayMs
  }

  deliver(event: OpencodeEvent): void {
    if (this.failure || this.ended) return
    this.queue.push(event)
    if (isTerminalEvent(event)) {
      // Later frames are not needed: leave at once, so the last stream out closes the connection
      // before it could reconnect, while the consumer drains what is queued.
      this.ended = true
      this.hub.remove(this)
    }
    if (this.queue.length - this.head > this.settings.maxQueuedEvents) {
      this.fail(
        new OpencodeError(
          `The consumer of session ${this.sessionId} fell ${this.settings.maxQueuedEvents} events behind the stream; it was closed`,
        ),
      )
      return
    }
    const wake = this.wake
    if (wake) {
      this.wake = undefined
      wake()
    }
  }

  fail(error: unknown): void {
    if (this.failure) return
    this.failure = { error }
    this.queue = []
    this.head = 0
    this.hub.remove(this) // at once: the hub must not reconnect for a stream that is over
    const wake = this.wake
    if (wake) {
      this.wake = undefined
      wake()
    }
  }

  malformed(data: string, error: unknown): void {
    const { onError, onMalformedFrame, sessionId } = this.settings
    reportError(
      onError,
      new ServerError(`Malformed SSE frame skipped: ${data.slice(0, 200)}`, { cause: error }),
      {
        feature: 'opencode.stream',
        action: 'parse_frame',
        handled: true,
        severity: 'warning',
        sessionId,
      },
    )
    if (!onMalformedFrame) return
    try {
      onMalformedFrame({ data, error, sessionId })
    } catch (hookError) {
      reportError(onError, hookError, {
        feature: 'opencode.stream',
        action: 'on_malformed_frame',
        handled: true,
        sessionId,
      })
    }
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error
  }

  /** The next queued event, without waiting; undefined when the queue is empty. */
  take(): OpencodeEvent | undefined {
    this.throwIfFailed()
    if (this.head === this.queue.length) {
      if (this.head > 0) {
        this.queue = []
        this.head = 0
      }
      return undefined
    }
    const event = this.queue[this.head] as OpencodeEvent
    this.queue[this.head++] = undefined as unknown as OpencodeEvent
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    return event
  }

  /** Wait for the next event (or the failure). */
  async next(): Promise<OpencodeEvent> {
    for (;;) {
      const event = this.take()
      if (event !== undefined) return event
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
  }
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError('The event stream was aborted', { cause: signal.reason })
}
