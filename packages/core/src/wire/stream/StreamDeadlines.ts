import { IdleStreamError, StaleSessionError, TimeoutError } from '../errors.js'

/** The deadlines of one session's stream, in ms; `Infinity` turns one off. */
export interface DeadlineSettings {
  overallMs: number
  firstEventMs: number
  idleMs: number
  blockedMs: number
}

/**
 * The deadline policy of one session's event stream, as plain arithmetic on clock times (no
 * timers: the stream asks {@link StreamDeadlines.check} when its alarm fires and when events
 * arrive late).
 *
 * - overall: no terminal idle by then → {@link TimeoutError}. While the stream is *suspended* (a
 *   question or permission is pending and the connection is alive and delivering) it is pushed to
 *   now + `overallMs` instead, by at most `blockedMs` in total. A check while disconnected (before a
 *   reconnect) is never suspended: a blocked turn whose server went away still ends.
 * - first event: no event of the session by then → {@link StaleSessionError}; never suspended.
 * - idle: the session went silent for `idleMs` after its first event → {@link IdleStreamError};
 *   not checked while suspended.
 */
export class StreamDeadlines {
  private overallAt: number
  private firstEventAt: number
  private lastSessionEventAt: number
  private suspendedMs = 0
  /** True once any event of the session arrived. */
  sessionEventSeen = false

  constructor(
    private readonly settings: DeadlineSettings,
    now: number,
    private readonly sessionId: string,
  ) {
    this.overallAt = now + settings.overallMs
    this.firstEventAt = now + settings.firstEventMs
    this.lastSessionEventAt = now
  }

  /** The earliest clock time a deadline can pass, whatever the suspension: events arriving later are checked. */
  get earliestAt(): number {
    if (!this.sessionEventSeen) return Math.min(this.overallAt, this.firstEventAt)
    return Math.min(this.overallAt, this.lastSessionEventAt + this.settings.idleMs)
  }

  /** The prompt was sent: the overall and first-event deadlines count from now. */
  restart(now: number): void {
    this.overallAt = now + this.settings.overallMs
    this.firstEventAt = now + this.settings.firstEventMs
  }

  /** An event of the session (not a `server.*` one) arrived at `now`. */
  sessionEvent(now: number): void {
    this.sessionEventSeen = true
    this.lastSessionEventAt = now
  }

  /**
   * Throw the typed error of a deadline that passed at `now`, pushing the suspendable ones while
   * `suspended`; return the next clock time worth checking again.
   */
  check(now: number, suspended: boolean): number {
    const { overallMs, firstEventMs, idleMs, blockedMs } = this.settings
    if (now >= this.overallAt) {
      const left = blockedMs - this.suspendedMs
      if (!suspended || left <= 0)
        throw new TimeoutError(
          suspended
            ? `Session ${this.sessionId} waited on a question or permission past ${blockedMs} ms`
            : `No terminal event for session ${this.sessionId} within ${overallMs} ms`,
        )
      // A human may take many minutes to answer: push, don't fire (bounded by blockedMs in total).
      const pushed = Math.min(now + overallMs, this.overallAt + left)
      this.suspendedMs += pushed - this.overallAt
      this.overallAt = pushed
    }
    if (!this.sessionEventSeen && now >= this.firstEventAt)
      throw new StaleSessionError(`No event for session ${this.sessionId} within ${firstEventMs} ms`)
    const idleAt =
      this.sessionEventSeen && !suspended ? this.lastSessionEventAt + idleMs : Number.POSITIVE_INFINITY
    if (now >= idleAt) throw new IdleStreamError(`Session ${this.sessionId} went silent for ${idleMs} ms`)
    return Math.min(
      this.overallAt,
      this.sessionEventSeen ? Number.POSITIVE_INFINITY : this.firstEventAt,
      idleAt,
    )
  }
}
