import type { TurnEvent } from '../host/TurnEvent.js'

/**
 * One event as a `text/event-stream` frame: its `seq` is the event id (what a reconnecting client
 * sends back as `Last-Event-ID`), its JSON the data. No `event:` field, so an `EventSource`'s
 * `onmessage` sees every event; the type is in the JSON.
 */
export const turnEventFrame = (event: TurnEvent): string =>
  `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`

/** A comment line: keeps proxies and the browser reader from taking a quiet turn for a dead line. */
export const HEARTBEAT_FRAME = ': heartbeat\n\n'

/** Response headers of a turn's event stream. */
export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx buffers proxied responses unless told not to.
  'x-accel-buffering': 'no',
}
