import { lastEventSeq } from './lastEventSeq.js'
import { EVENT_STREAM_HEADERS } from './turnEventFrame.js'
import { createTurnEventPump, type EventStreamOptions, type EventStreamSource } from './turnEventPump.js'

/** Options of {@link turnEventResponse}. */
export interface TurnEventResponseOptions extends EventStreamOptions {
  /**
   * The incoming request: `after` defaults to its `Last-Event-ID` (else `?after=`), and its
   * `signal` (the client went away) ends the stream.
   */
  request?: Request
}

/**
 * A turn's events as a standard `text/event-stream` `Response`, for Fetch-style servers (Hono,
 * Next.js route handlers, Bun, Deno, Cloudflare Workers). Each event is a frame whose id is its
 * `seq`; a comment frame goes out after `heartbeatMs` of quiet; the stream ends after the
 * `finish`. A client that reconnects with `Last-Event-ID` gets only what it missed. When the
 * client goes away (the body is cancelled, or the request's signal aborts) the source's signal
 * aborts and its iterator's `return()` is called: nothing keeps reading for a closed tab.
 * Dependency-free: runs wherever `Response` and `ReadableStream` do.
 *
 * @example
 * ```ts
 * // app/api/messages/[id]/events/route.ts (Next.js)
 * export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
 *   const { id } = await params
 *   return turnEventResponse(({ after, signal }) => relay.subscribe(id, { after, signal }), { request })
 * }
 * ```
 */
export function turnEventResponse(
  source: EventStreamSource,
  options: TurnEventResponseOptions = {},
): Response {
  const { request } = options
  const after = options.after ?? (request ? lastEventSeq(request) : 0)
  const pump = createTurnEventPump(source, after, options)
  const encoder = new TextEncoder()
  const onAbort = () => pump.close()
  request?.signal.addEventListener('abort', onAbort, { once: true })
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = await pump.next()
        if (chunk !== undefined) return controller.enqueue(encoder.encode(chunk))
        request?.signal.removeEventListener('abort', onAbort)
        try {
          controller.close()
        } catch {
          // already cancelled
        }
      },
      cancel() {
        request?.signal.removeEventListener('abort', onAbort)
        pump.close()
      },
    },
    // Read from the source only when the client is ready for more: a slow client leaves the events
    // where they are (Redis, the turn's bounded buffer) instead of piling up here.
    { highWaterMark: 0 },
  )
  if (request?.signal.aborted) pump.close()
  return new Response(body, { status: 200, headers: { ...EVENT_STREAM_HEADERS, ...options.headers } })
}
