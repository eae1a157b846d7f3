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

/** The longest delay `setTimeout` takes: anything larger (Infinity included) fires after 1 ms in Node. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * The real clock: `performance.now()`, `new Date()` and `setTimeout`. A sleep of `Infinity` never
 * resolves (only its signal ends it) and a sleep longer than `setTimeout` allows is taken in
 * chunks, so a huge deadline never fires early.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const until = performance.now() + Math.max(0, ms)
      let timer: ReturnType<typeof setTimeout> | undefined
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      const arm = (delay: number) => {
        timer = setTimeout(() => {
          const left = until - performance.now()
          if (left > 1) return arm(Math.min(left, MAX_TIMER_MS)) // a chunk of a long sleep
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }, delay)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      if (ms === Number.POSITIVE_INFINITY) return // no deadline: only the signal ends it
      arm(Math.min(Math.max(0, ms), MAX_TIMER_MS))
    }),
}
