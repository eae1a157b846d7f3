/**
 * The source of time for every deadline, throttle and delay in opencode-kit. Inject your own
 * (`ManualClock` from `@opencode-kit/core/testing`) so tests never wait for real time.
 */
export interface Clock {
  /** Monotonic milliseconds (only differences are meaningful). */
  now(): number
  /** Wall-clock time, for values that are persisted (activity stamps). */
  date(): Date
  /** Resolve after `ms` milliseconds; reject with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** The real clock: `performance.now()`, `new Date()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        Math.max(0, ms),
      )
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
}
