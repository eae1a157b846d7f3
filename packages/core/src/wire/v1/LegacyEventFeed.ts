import type { ErrorHook } from '../../support/ErrorHook.js'
import { reportError } from '../../support/reportError.js'
import { ConnectionError, ServerError } from '../errors.js'
import { SseDecoder } from '../SseDecoder.js'
import {
  closesAfterConnected,
  type LegacyEventRoute,
  unwrapGlobalEventFrame,
} from '../serverLineDifferences.js'
import type { EventFeed } from '../stream/EventFeed.js'
import { isObject, type OpencodeEvent } from '../types.js'

/** What the legacy event feed needs from its client. */
export interface LegacyEventFeedOptions {
  /** The absolute URL of an event route, scoped (directory, workspace, base query). */
  url(route: LegacyEventRoute): string
  /** Headers of every request (auth, the caller's own). */
  headers(): Record<string, string>
  fetch: typeof fetch
  /** Largest SSE frame (see {@link SseDecoder}). */
  maxFrameSize: number | undefined
  /** Where the one-time warning goes when the feed switches to `/global/event`. */
  onError: ErrorHook | undefined
  /** Where the server is, for error messages (no query: it may hold a token). */
  where: string
}

/**
 * The legacy API's event feed: `GET /event` (one directory's events) as batches of parsed events
 * per chunk. A server whose `/event` ends right after `server.connected` (OpenCode 1.14.43–1.14.48)
 * is followed on `GET /global/event` from then on, its frames unwrapped.
 */
export class LegacyEventFeed implements EventFeed {
  private route: LegacyEventRoute = '/event'

  constructor(private readonly options: LegacyEventFeedOptions) {}

  async open(
    signal: AbortSignal,
    onMalformed: (data: string, error: unknown) => void,
  ): Promise<AsyncIterable<OpencodeEvent[]>> {
    const { options } = this
    const route = this.route
    let response: Response
    try {
      response = await options.fetch(options.url(route), {
        headers: { ...options.headers(), accept: 'text/event-stream' },
        signal,
      })
    } catch (error) {
      if (signal.aborted) throw error
      throw new ConnectionError(
        `Cannot reach OpenCode at ${options.where}: ${(error as Error)?.message ?? error}`,
        { cause: error },
      )
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '')
      throw new ServerError(`Event stream failed (HTTP ${response.status}): ${text.slice(0, 200)}`, {
        status: response.status,
        body: text,
      })
    }
    return this.read(response.body, route, signal, onMalformed)
  }

  private async *read(
    body: ReadableStream<Uint8Array>,
    route: LegacyEventRoute,
    signal: AbortSignal,
    onMalformed: (data: string, error: unknown) => void,
  ): AsyncGenerator<OpencodeEvent[]> {
    // Read the bytes directly (no pipe): chunks that arrived before a transport error are kept.
    const reader = body.getReader()
    // A closed connection must end a pending read even when the transport ignores the signal.
    const cancel = () => void reader.cancel().catch(() => {})
    signal.addEventListener('abort', cancel, { once: true })
    const utf8 = new TextDecoder()
    const decoder = new SseDecoder({ maxFrameSize: this.options.maxFrameSize })
    let connected = false
    let framesAfterConnected = 0
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) {
          if (connected && !signal.aborted && closesAfterConnected(route, framesAfterConnected))
            this.followGlobal()
          return
        }
        const batch: OpencodeEvent[] = []
        for (const frame of decoder.feed(utf8.decode(value, { stream: true }))) {
          let event: OpencodeEvent
          try {
            event = unwrapGlobalEventFrame(JSON.parse(frame.data)) as OpencodeEvent
          } catch (error) {
            onMalformed(frame.data, error)
            continue
          }
          if (!isObject(event) || typeof event.type !== 'string') {
            onMalformed(frame.data, new ServerError('The frame is not an event object'))
            continue
          }
          if (!isObject(event.properties)) event.properties = {}
          if (connected) framesAfterConnected++
          else if (event.type === 'server.connected') connected = true
          batch.push(event)
        }
        yield batch
      }
    } finally {
      signal.removeEventListener('abort', cancel)
      cancel()
    }
  }

  /** This server's `/event` ends right after `server.connected`: switch for good, and say so once. */
  private followGlobal(): void {
    if (this.route === '/global/event') return
    this.route = '/global/event'
    reportError(
      this.options.onError,
      new ServerError(
        'The server ended GET /event right after server.connected (OpenCode 1.14.43–1.14.48, anomalyco/opencode#27391): following GET /global/event instead',
      ),
      { feature: 'opencode.stream', action: 'follow_global_events', handled: true, severity: 'warning' },
    )
  }
}
