import type { Clock } from '../support/Clock.js'

interface Sleeper {
  until: number
  resolve: () => void
}

/**
 * A {@link Clock} that moves only when a test says so: `sleep()` resolves when `advance()` passes
 * its deadline. Deadlines, throttles and retry delays become deterministic and instant.
 *
 * @example
 * ```ts
 * const clock = new ManualClock()
 * const client = new Client({ baseUrl, clock })
 * const events = client.events(sessionId, { deadlines: { firstEventMs: 1000 } })[Symbol.asyncIterator]()
 * const next = events.next()
 * await clock.advance(1000) // next rejects with StaleSessionError, without waiting a second
 * ```
 */
export class ManualClock implements Clock {
  private current: number
  private readonly wall: number
  private sleepers: Sleeper[] = []

  constructor(start = 0, wallClockStart = Date.UTC(2026, 0, 1)) {
    this.current = start
    this.wall = wallClockStart - start
  }

  /** The manual time in ms (starts at the constructor's `start`). */
  now(): number {
    return this.current
  }

  /** Wall-clock time: `wallClockStart` plus the time advanced so far. */
  date(): Date {
    return new Date(this.wall + this.current)
  }

  /** Resolves once {@link ManualClock.advance} moves time `ms` past now; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (ms <= 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper)
        reject(signal?.reason)
      }
      const sleeper: Sleeper = {
        until: this.current + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      this.sleepers.push(sleeper)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Number of pending sleeps (lets a test wait until the code under test is waiting). */
  get pendingSleeps(): number {
    return this.sleepers.length
  }

  /** Move time forward by `ms`, waking every sleeper whose deadline passed, then let promises settle. */
  async advance(ms: number): Promise<void> {
    this.current += ms
    const due = this.sleepers.filter((s) => s.until <= this.current)
    this.sleepers = this.sleepers.filter((s) => s.until > this.current)
    for (const sleeper of due) sleeper.resolve()
    for (let i = 0; i < 10; i++) await Promise.resolve()
  }
}
