import type { Clock } from '../../support/Clock.js'

/** The reason a superseded wake-up is cancelled with: one shared object, no DOMException per re-arm. */
const SUPERSEDED = Object.freeze({ superseded: true })

/**
 * One timer on a {@link Clock}, re-armed lazily. `arm(at)` keeps a pending wake-up that comes at
 * or before `at` and replaces a later one; when it fires, `onFire` decides itself whether anything
 * is due (the state may have moved on since) and arms the next wake-up. So a stream pays for a
 * timer only when a deadline can actually pass — never per event or per read.
 *
 * @example
 * ```ts
 * const alarm = new Alarm(clock, () => { if (clock.now() - lastByteAt >= readMs) reconnect(); else alarm.arm(lastByteAt + readMs) })
 * alarm.arm(lastByteAt + readMs)
 * ```
 */
export class Alarm {
  private target = Number.POSITIVE_INFINITY
  private pending: AbortController | undefined

  constructor(
    private readonly clock: Clock,
    private readonly onFire: () => void,
  ) {}

  /** Wake up at `at` (clock time) at the latest; `Infinity` leaves a pending wake-up as it is. */
  arm(at: number): void {
    if (at >= this.target || at === Number.POSITIVE_INFINITY) return
    this.pending?.abort(SUPERSEDED)
    const pending = new AbortController()
    this.pending = pending
    this.target = at
    this.clock.sleep(Math.max(0, at - this.clock.now()), pending.signal).then(
      () => {
        if (this.pending !== pending) return
        this.pending = undefined
        this.target = Number.POSITIVE_INFINITY
        this.onFire()
      },
      () => {},
    )
  }

  /** Cancel the pending wake-up. */
  stop(): void {
    this.pending?.abort(SUPERSEDED)
    this.pending = undefined
    this.target = Number.POSITIVE_INFINITY
  }
}
