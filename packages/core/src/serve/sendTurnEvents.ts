import { lastEventSeq } from './lastEventSeq.js'
import { EVENT_STREAM_HEADERS } from './turnEventFrame.js'
import { createTurnEventPump, type EventStreamOptions, type EventStreamSource } from './turnEventPump.js'

/** The parts of a Node request (`http.IncomingMessage`, Express's `req`) that are read. */
export interface NodeRequestLike {
  headers: Record<string, string | string[] | undefined>
  url?: string
}

/** The parts of a Node response (`http.ServerResponse`, Express's `res`, Fastify's `reply.raw`) that are used. */
export interface NodeResponseLike {
  writeHead(status: number, headers: Record<string, string>): unknown
  write(chunk: string): boolean
  end(): unknown
  flushHeaders?(): void
  on(event: 'close' | 'drain', listener: () => void): unknown
  off(event: 'close' | 'drain', listener: () => void): unknown
  readonly writableEnded: boolean
  readonly destroyed: boolean
}

/**
 * Serve a turn's events as `text/event-stream` on a Node response (`node:http`, Express; Fastify
 * after `reply.hijack()` with `reply.raw`). The same stream as `turnEventResponse`: event ids are
 * `seq`, heartbeats while quiet, `Last-Event-ID` (or `?after=`) honoured, the end after the
 * `finish`. Writes wait for the socket to drain, so a slow client never makes the server buffer.
 * When the client goes away the source's signal aborts and its iterator's `return()` is called.
 * Resolves when the stream is over. Uses only the request and response objects (no `node:` import).
 *
 * @example
 * ```ts
 * app.get('/api/messages/:id/events', (req, res) =>
 *   sendTurnEvents(req, res, ({ after, signal }) => relay.subscribe(req.params.id, { after, signal })),
 * )
 * ```
 */
export async function sendTurnEvents(
  request: NodeRequestLike,
  response: NodeResponseLike,
  source: EventStreamSource,
  options: EventStreamOptions = {},
): Promise<void> {
  const after = options.after ?? lastEventSeq(request)
  const pump = createTurnEventPump(source, after, options)
  const onClose = () => pump.close()
  response.on('close', onClose)
  try {
    response.writeHead(200, { ...EVENT_STREAM_HEADERS, ...options.headers })
    response.flushHeaders?.()
    for (;;) {
      const chunk = await pump.next()
      if (chunk === undefined || response.destroyed) break
      if (!response.write(chunk)) await drained(response)
    }
  } finally {
    pump.close()
    response.off('close', onClose)
    if (!response.writableEnded && !response.destroyed) response.end()
  }
}

/** Resolves when the response can take more, or is gone. */
function drained(response: NodeResponseLike): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done)
      response.off('close', done)
      resolve()
    }
    response.on('drain', done)
    response.on('close', done)
  })
}
