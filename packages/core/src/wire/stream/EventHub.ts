import type { Clock } from '../../support/Clock.js'
import { ConnectionError, OpencodeError, TimeoutError } from '../errors.js'
import type { OpencodeEvent } from '../types.js'
import { Alarm } from './Alarm.js'
import type { EventFeed } from './EventFeed.js'
import { sessionOf } from './sessionOf.js'

/** One session's stream as the hub sees it (see `SessionStream`). */
export interface HubSubscriber {
  readonly sessionId: string
  /** Read timeout this subscriber asks for; the connection uses the smallest. */
  readonly readMs: number
  /** Connect timeout this subscriber asks for; the connection uses the smallest. */
  readonly connectMs: number
  /** Reconnect delay this subscriber asks for; the hub waits the smallest. */
  readonly reconnectDelayMs: number
  /** Set by the hub once a connection delivered `server.connected` to it. */
  everConnected: boolean
  /** The session's events and the connections' `server.connected` / `server.heartbeat`, in order. */
  deliver(event: OpencodeEvent): void
  /** The stream cannot go on (a fatal failure, or the first connection refused). */
  fail(error: unknown): void
  /** A frame of the connection was skipped. */
  malformed(data: string, error: unknown): void
}

/** Why the hub closed a connection itself. */
const READ_TIMEOUT = Object.freeze({ reason: 'read timeout' })
const CONNECT_TIMEOUT = Object.freeze({ reason: 'connect timeout' })
const STOPPED = Object.freeze({ reason: 'stopped' })

/**
 * One event subscription shared by every session stream of a process that reads the same feed
 * (one server and directory): it connects when the first stream needs it and closes after the last
 * leaves, reads each frame once and hands it to the streams of its session, so the cost of an event
 * does not grow with the number of sessions sharing the directory. It owns what belongs to the
 * connection — reconnects after a drop (each new connection gated on its own `server.connected`),
 * the read and connect timeouts (one lazily re-armed timer) — while each stream keeps its own
 * deadlines, prompt gate and failure.
 *
 * Failures: the first connection refused fails the streams that never had a connection with
 * {@link ConnectionError} (the others keep reconnecting); a non-2xx answer or an oversized frame
 * fails every stream; anything else (a reset, a clean end, a timeout) reconnects.
 *
 * @example
 * ```ts
 * const hub = new EventHub(feed, clock, () => hubs.delete(key))
 * hub.add(stream)   // connects if needed; a stream joining a live connection gets its server.connected at once
 * hub.remove(stream)
 * ```
 */
export class EventHub {
  /** Clock time the last bytes arrived on the current connection. */
  lastChunkAt: number
  /** True once the hub emptied: it never reconnects again (make a new one). */
  closed = false
  private connectedEvent: OpencodeEvent | undefined
  private readonly bySession = new Map<string, HubSubscriber[]>()
  private readonly all = new Set<HubSubscriber>()
  private connection: AbortController | undefined
  private phase: 'connecting' | 'reading' | 'waiting' = 'waiting'
  private phaseStartedAt = 0
  private readonly stopped = new AbortController()
  private readonly alarm: Alarm

  constructor(
    private readonly feed: EventFeed,
    readonly clock: Clock,
    private readonly onClosed: () => void,
  ) {
    this.lastChunkAt = clock.now()
    this.alarm = new Alarm(clock, () => this.checkConnection())
  }

  /** The number of streams reading through this hub. */
  get size(): number {
    return this.all.size
  }

  /** True while a connection is established and delivered bytes within the read timeout. */
  alive(now: number): boolean {
    return this.connectedEvent !== undefined && now - this.lastChunkAt < this.readMs()
  }

  /** Start delivering to `subscriber` (connecting when it is the first). */
  add(subscriber: HubSubscriber): void {
    if (this.closed) throw new OpencodeError('This event hub is closed')
    const first = this.all.size === 0
    this.all.add(subscriber)
    const list = this.bySession.get(subscriber.sessionId)
    if (list) list.push(subscriber)
    else this.bySession.set(subscriber.sessionId, [subscriber])
    if (this.connectedEvent) {
      // Joining a live connection: subscribed already, so the stream may prompt at once.
      subscriber.everConnected = true
      subscriber.deliver(this.connectedEvent)
    }
    if (first) void this.run()
  }

  /** Stop delivering to `subscriber`; the last one out closes the connection. */
  remove(subscriber: HubSubscriber): void {
    if (!this.all.delete(subscriber)) return
    const list = this.bySession.get(subscriber.sessionId)
    if (list) {
      const at = list.indexOf(subscriber)
      if (at >= 0) list.splice(at, 1)
      if (list.length === 0) this.bySession.delete(subscriber.sessionId)
    }
    if (this.all.size === 0) this.close()
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    this.alarm.stop()
    this.stopped.abort(STOPPED)
    this.connection?.abort(STOPPED)
    this.onClosed()
  }

  private readMs(): number {
    let ms = Number.POSITIVE_INFINITY
    for (const subscriber of this.all) ms = Math.min(ms, subscriber.readMs)
    return ms
  }

  private connectMs(): number {
    let ms = Number.POSITIVE_INFINITY
    for (const subscriber of this.all) ms = Math.min(ms, subscriber.connectMs)
    return ms
  }

  private reconnectDelayMs(): number {
    let ms = Number.POSITIVE_INFINITY
    for (const subscriber of this.all) ms = Math.min(ms, subscriber.reconnectDelayMs)
    return ms === Number.POSITIVE_INFINITY ? 0 : ms
  }

  /** The connection's alarm: a connect or read timeout that really passed closes the connection. */
  private checkConnection(): void {
    const now = this.clock.now()
    if (this.phase === 'connecting') {
      const at = this.phaseStartedAt + this.connectMs()
      if (now >= at) this.connection?.abort(CONNECT_TIMEOUT)
      else this.alarm.arm(at)
    } else if (this.phase === 'reading') {
      const at = this.lastChunkAt + this.readMs()
      if (now >= at) this.connection?.abort(READ_TIMEOUT)
      else this.alarm.arm(at)
    }
  }

  private async run(): Promise<void> {
    const malformed = (data: string, error: unknown) => {
      for (const subscriber of [...this.all]) subscriber.malformed(data, error)
    }
    while (!this.closed) {
      const connection = new AbortController()
      this.connection = connection
      try {
        this.phase = 'connecting'
        this.phaseStartedAt = this.clock.now()
        this.alarm.arm(this.phaseStartedAt + this.connectMs())
        const batches = await this.feed.open(connection.signal, malformed)
        this.phase = 'reading'
        this.lastChunkAt = this.clock.now()
        this.alarm.stop()
        this.alarm.arm(this.lastChunkAt + this.readMs())
        for await (const batch of batches) {
          this.lastChunkAt = this.clock.now()
          for (const event of batch) this.dispatch(event)
          if (this.closed) break
        }
        // A clean end without the session's idle: reconnect.
      } catch (error) {
        if (this.closed) break
        if (!connection.signal.aborted) {
          if (error instanceof ConnectionError) {
            // Unreachable: streams that never had a connection fail fast; the others keep trying.
            for (const subscriber of [...this.all])
              if (!subscriber.everConnected) {
                this.remove(subscriber)
                subscriber.fail(error)
              }
          } else if (error instanceof OpencodeError && !(error instanceof TimeoutError)) {
            // A non-2xx event stream or an oversized frame: retrying cannot help.
            for (const subscriber of [...this.all]) {
              this.remove(subscriber)
              subscriber.fail(error)
            }
            break
          }
        }
      } finally {
        this.phase = 'waiting'
        this.alarm.stop()
        this.connectedEvent = undefined
        connection.abort(STOPPED)
      }
      if (this.closed) break
      try {
        await this.clock.sleep(this.reconnectDelayMs(), this.stopped.signal)
      } catch {
        break
      }
    }
  }

  private dispatch(event: OpencodeEvent): void {
    const type = event.type
    if (this.connectedEvent === undefined) {
      // Nothing passes before the connection's own server.connected.
      if (type !== 'server.connected') return
      this.connectedEvent = event
      for (const subscriber of [...this.all]) {
        subscriber.everConnected = true
        subscriber.deliver(event)
      }
      return
    }
    if (type === 'server.heartbeat' || type === 'server.connected') {
      for (const subscriber of this.all) subscriber.deliver(event)
      return
    }
    const sessionId = sessionOf(event)
    if (sessionId === undefined) return
    const list = this.bySession.get(sessionId)
    if (list === undefined) return
    if (list.length === 1) (list[0] as HubSubscriber).deliver(event)
    else for (const subscriber of [...list]) subscriber.deliver(event)
  }
}
