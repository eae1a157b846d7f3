import type { TurnEvent } from '../host/TurnEvent.js'
import { type Clock, systemClock } from '../support/Clock.js'
import { BadRequestError, ConnectionError, ServerError } from '../wire/errors.js'
import { SseDecoder } from '../wire/SseDecoder.js'

/** Options of {@link readTurnEvents}. */
export interface ReadTurnEventsOptions {
  /** Start after this `seq` (a view you kept). Default 0: from the start. */
  after?: number
  /** Ends the reading (the loop simply ends; nothing is thrown). */
  signal?: AbortSignal
  /** Extra request headers (an auth token…). */
  headers?: Record<string, string>
  /** Send cookies cross-origin (`'include'`). Default: the browser's default (`same-origin`). */
  credentials?: RequestCredentials
  /** First reconnect delay in ms, doubled per failed attempt (with jitter). Default 250. */
  retryDelayMs?: number
  /** Longest reconnect delay in ms. Default 5000. */
  maxRetryDelayMs?: number
  /**
   * Failed attempts in a row before giving up with the last error. Default: unlimited (like
   * `EventSource`; end it with the signal). An event that gets through resets the count.
   */
  maxRetries?: number
  /**
   * Reconnect when nothing, not even a heartbeat, arrived for this many ms (a connection that died
   * without closing: a laptop that slept, a dropped Wi-Fi). Default 45 000, three server
   * heartbeats.
   */
  stallMs?: number
  /** Told before each reconnect (show "reconnecting…"). */
  onReconnect?: (info: { attempt: number; after: number; error: unknown }) => void
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch
  /** The source of time for delays (a `ManualClock` in tests). */
  clock?: Clock
}

/** Why an attempt was dropped by the reader itself. */
class StalledError extends ConnectionError {}

/**
 * The events of one turn from a server's `text/event-stream` endpoint (one served by
 * `turnEventResponse` or `sendTurnEvents`), as an async iterable that survives the network: after a
 * drop, a stall or a server restart it reconnects with `Last-Event-ID` set to the last `seq` it
 * yielded, so each event comes once, in order. Ends after the `finish`, or quietly when `signal`
 * aborts (or the loop is left). A 4xx answer (other than 408/429) or a response that is not an event
 * stream throws `BadRequestError`; 5xx answers and network failures are retried. Runs in browsers,
 * workers, Node, Bun and Deno; no dependencies.
 *
 * @example
 * ```ts
 * import { foldTurnEvent, initialTurnView, readTurnEvents } from '@opencode-kit/core/browser'
 *
 * let view = initialTurnView
 * for await (const event of readTurnEvents(`/api/messages/${id}/events`, { signal })) {
 *   view = foldTurnEvent(view, event)
 *   render(view)
 * }
 * ```
 */
export function readTurnEvents(
  url: string | URL,
  options: ReadTurnEventsOptions = {},
): AsyncIterableIterator<TurnEvent> {
  const controller = new AbortController()
  const onAbort = () => controller.abort()
  if (options.signal?.aborted) controller.abort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })
  const events = follow(String(url), options, controller.signal)
  const iterator: AsyncIterableIterator<TurnEvent> = {
    next: () => events.next(),
    async return() {
      controller.abort()
      options.signal?.removeEventListener('abort', onAbort)
      return events.return(undefined)
    },
    [Symbol.asyncIterator]: () => iterator,
  }
  return iterator
}

async function* follow(
  url: string,
  options: ReadTurnEventsOptions,
  signal: AbortSignal,
): AsyncGenerator<TurnEvent> {
  const clock = options.clock ?? systemClock
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis)
  const stallMs = options.stallMs ?? 45_000
  const retryDelayMs = options.retryDelayMs ?? 250
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000
  const maxRetries = options.maxRetries ?? Number.POSITIVE_INFINITY
  let after = Math.max(0, Math.floor(options.after ?? 0))
  let failures = 0

  while (!signal.aborted) {
    const attempt = new AbortController()
    const stop = () => attempt.abort()
    signal.addEventListener('abort', stop, { once: true })
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
    let failure: unknown
    try {
      const response = await fetchImpl(url, {
        headers: {
          accept: 'text/event-stream',
          ...(after > 0 ? { 'last-event-id': String(after) } : {}),
          ...options.headers,
        },
        cache: 'no-store',
        credentials: options.credentials,
        signal: attempt.signal,
      })
      if (!response.ok) {
        const body = await response.text().catch(() => '')
        const retryable = response.status >= 500 || response.status === 408 || response.status === 429
        const ErrorClass = retryable ? ServerError : BadRequestError
        throw new ErrorClass(`${url} answered ${response.status}`, { status: response.status, body })
      }
      if (!response.body || !response.headers.get('content-type')?.includes('text/event-stream')) {
        await response.body?.cancel().catch(() => {})
        throw new BadRequestError(`${url} did not answer with an event stream`, { status: response.status })
      }
      reader = response.body.getReader()
      const text = new TextDecoder()
      const decoder = new SseDecoder()
      const stall = watchStall(clock, stallMs, attempt)
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        stall.touch()
        for (const frame of decoder.feed(text.decode(value, { stream: true }))) {
          const event = parseEvent(frame.data)
          if (!event || event.seq <= after) continue
          after = event.seq
          failures = 0
          yield event
          if (event.type === 'finish') return
        }
      }
      failure = new ConnectionError(`${url}: the stream ended before the turn finished`)
    } catch (error) {
      if (signal.aborted) return
      if (error instanceof BadRequestError) throw error
      failure = attempt.signal.reason instanceof StalledError ? attempt.signal.reason : error
    } finally {
      signal.removeEventListener('abort', stop)
      attempt.abort()
      reader?.cancel().catch(() => {})
    }

    failures++
    if (failures > maxRetries) throw failure
    options.onReconnect?.({ attempt: failures, after, error: failure })
    const delay = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (failures - 1))
    try {
      // Jittered, so a thousand tabs do not all come back in the same millisecond.
      await clock.sleep(delay / 2 + (Math.random() * delay) / 2, signal)
    } catch {
      return
    }
  }
}

/**
 * Drops the attempt once nothing arrived for `stallMs`. One sleep at a time (re-armed for what is
 * left of the window), not a timer per read; it ends with the attempt.
 */
function watchStall(clock: Clock, stallMs: number, attempt: AbortController): { touch(): void } {
  let lastData = clock.now()
  void (async () => {
    for (;;) {
      await clock.sleep(Math.max(0, lastData + stallMs - clock.now()), attempt.signal)
      if (clock.now() - lastData >= stallMs) {
        attempt.abort(new StalledError(`no data for ${stallMs} ms`))
        return
      }
    }
  })().catch(() => {})
  return {
    touch: () => {
      lastData = clock.now()
    },
  }
}

function parseEvent(data: string): TurnEvent | undefined {
  try {
    const event = JSON.parse(data) as unknown
    if (
      event &&
      typeof event === 'object' &&
      typeof (event as TurnEvent).type === 'string' &&
      typeof (event as TurnEvent).seq === 'number'
    )
      return event as TurnEvent
  } catch {
    // not an event: skipped
  }
  return undefined
}
