// Shared helpers for the wire tests: SSE bodies built from ReadableStreams for MSW handlers.
import { HttpResponse } from 'msw'
import { expect } from 'vitest'
import type { Clock } from '../../src/support/Clock.js'
import type { OpencodeEvent, WireClient } from '../../src/wire/index.js'

export const BASE = 'http://opencode.test'
const utf8 = new TextEncoder()

/** One `data:` frame. A string is sent as is (malformed JSON tests). */
export const frame = (event: unknown): string =>
  `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`

export const connected = { type: 'server.connected', properties: {} }
export const heartbeat = { type: 'server.heartbeat', properties: {} }
export const idle = (sessionID = 'ses_1') => ({
  type: 'session.status',
  properties: { sessionID, status: { type: 'idle' } },
})
export const busy = (sessionID = 'ses_1') => ({
  type: 'session.status',
  properties: { sessionID, status: { type: 'busy' } },
})
export const delta = (text: string, sessionID = 'ses_1', partID = 'prt_1', messageID = 'msg_a') => ({
  type: 'message.part.delta',
  properties: { sessionID, messageID, partID, field: 'text', delta: text },
})

const headers = { 'content-type': 'text/event-stream' }

/** An SSE response that sends `chunks` and then ends cleanly. */
export const sse = (chunks: string[]) =>
  new HttpResponse(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(utf8.encode(chunk))
        controller.close()
      },
    }),
    { headers },
  )

/** An SSE response that sends `chunks` and then stays open (a silent connection). */
export const openSse = (chunks: string[]) =>
  new HttpResponse(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(utf8.encode(chunk))
      },
    }),
    { headers },
  )

/** An SSE response the test pushes chunks into while the client reads it. */
export const pushSse = () => {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const response = new HttpResponse(
    new ReadableStream<Uint8Array>({
      start(c) {
        controller = c
      },
    }),
    { headers },
  )
  return {
    response,
    push: (chunk: string) => controller.enqueue(utf8.encode(chunk)),
    end: () => controller.close(),
    fail: (error: unknown) => controller.error(error),
  }
}

/** Let the client make progress on real I/O (MSW, streams) until `condition` holds. */
export const until = async (condition: () => boolean, what = 'condition'): Promise<void> => {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1))
  expect(condition(), `waited for ${what}`).toBe(true)
}

/** A promise's outcome without an unhandled rejection: the value or the error. */
export const settle = <T>(promise: Promise<T>): Promise<T | unknown> =>
  promise.catch((error: unknown) => error)

/** The stream clauses' options (callback style), run on `client.events()` by {@link followSession}. */
export interface StreamRun {
  sessionId: string
  timeoutMs?: number
  firstEventTimeoutMs?: number
  idleStreamTimeoutMs?: number
  readTimeoutMs?: number
  connectTimeoutMs?: number
  reconnectDelayMs?: number
  /** Lets a pending question/permission suspend the overall deadline. */
  reply?: { readonly promptBlocked: boolean }
  /** Called for every yielded event before `onEvent`. */
  onActivityTick?: (event: OpencodeEvent) => unknown
  /** The `onceConnected` hook: truthy → deadlines restart. */
  onSubscribed?: () => unknown
  signal?: AbortSignal
  clock?: Clock
}

/**
 * Follow one session through `client.events()`, calling `onActivityTick` then `onEvent` for each
 * event: the loop an app writes, with the clauses' option names mapped onto `events` options.
 */
export async function followSession(
  client: Pick<WireClient, 'events'>,
  options: StreamRun,
  onEvent: (event: OpencodeEvent) => unknown,
): Promise<void> {
  const { sessionId, reply, onActivityTick, onSubscribed, signal, clock, reconnectDelayMs } = options
  for await (const event of client.events(sessionId, {
    signal,
    clock,
    reconnectDelayMs,
    blocked: reply ? () => reply.promptBlocked : undefined,
    onceConnected: onSubscribed ? async () => Boolean(await onSubscribed()) : undefined,
    deadlines: {
      overallMs: options.timeoutMs,
      firstEventMs: options.firstEventTimeoutMs,
      idleMs: options.idleStreamTimeoutMs,
      readMs: options.readTimeoutMs,
      connectMs: options.connectTimeoutMs,
    },
  })) {
    await onActivityTick?.(event)
    await onEvent(event)
  }
}
