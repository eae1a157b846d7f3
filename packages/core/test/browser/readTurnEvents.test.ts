import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { BadRequestError, readTurnEvents, ServerError, type TurnEvent } from '../../src/browser/index.js'
import { ManualClock } from '../../src/testing/index.js'
import { framesOf, turnEvents } from '../serve/support.js'

type Handler = (req: IncomingMessage, res: ServerResponse, attempt: number) => void

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    server.close()
  }
})

/** A server that answers its n-th request with `handlers[n]` (the last one repeats). */
async function server(...handlers: Handler[]) {
  const requests: IncomingMessage[] = []
  const closed: number[] = []
  const http = createServer((req, res) => {
    const attempt = requests.length
    requests.push(req)
    res.on('close', () => closed.push(attempt))
    ;(handlers[attempt] ?? (handlers.at(-1) as Handler))(req, res, attempt)
  })
  servers.push(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/events`, requests, closed }
}

const streamHead = (res: ServerResponse) =>
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' })

/** Serve these events then end (or drop the connection). */
const serving =
  (events: TurnEvent[], end: 'end' | 'drop' | 'hang' = 'end'): Handler =>
  (req, res) => {
    streamHead(res)
    const after = Number(req.headers['last-event-id'] ?? 0)
    res.write(framesOf(events.filter((e) => e.seq > after)), () => {
      // Once the bytes are out: a clean end, a cut connection, or nothing more.
      if (end === 'end') res.end()
      else if (end === 'drop') res.socket?.destroy()
    })
  }

async function collect(events: AsyncIterable<TurnEvent>) {
  const seen: TurnEvent[] = []
  for await (const event of events) seen.push(event)
  return seen
}

describe('readTurnEvents', () => {
  it('yields the events and ends after the finish', async () => {
    const events = turnEvents(5)
    const { url, requests } = await server(serving(events))
    expect(await collect(readTurnEvents(url))).toEqual(events)
    expect(requests).toHaveLength(1)
    expect(requests[0]?.headers.accept).toBe('text/event-stream')
    expect(requests[0]?.headers['last-event-id']).toBeUndefined()
  })

  it('after a dropped connection reconnects with Last-Event-ID and yields each event once', async () => {
    const events = turnEvents(9)
    const { url, requests } = await server(
      serving(events.slice(0, 4), 'drop'),
      serving(events.slice(0, 8), 'drop'),
      serving(events),
    )
    const onReconnect = vi.fn()
    expect(await collect(readTurnEvents(url, { retryDelayMs: 1, onReconnect }))).toEqual(events)
    expect(requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '4', '8'])
    expect(onReconnect).toHaveBeenCalledTimes(2)
    expect(onReconnect).toHaveBeenLastCalledWith(expect.objectContaining({ attempt: 1, after: 8 }))
  })

  it('skips what a server replays from the start after a reconnect', async () => {
    const events = turnEvents(6)
    const replayAll: Handler = (_req, res) => {
      streamHead(res)
      res.end(framesOf(events))
    }
    const { url } = await server(serving(events.slice(0, 3), 'end'), replayAll)
    expect(await collect(readTurnEvents(url, { retryDelayMs: 1 }))).toEqual(events)
  })

  it('starts after `after`, sending it as Last-Event-ID', async () => {
    const events = turnEvents(6)
    const { url, requests } = await server(serving(events))
    expect(await collect(readTurnEvents(url, { after: 5 }))).toEqual(events.slice(5))
    expect(requests[0]?.headers['last-event-id']).toBe('5')
  })

  it('drops a connection that went silent (no heartbeat) after stallMs and reconnects', async () => {
    const clock = new ManualClock()
    const events = turnEvents(3)
    const { url, requests, closed } = await server(serving(events.slice(0, 2), 'hang'), serving(events))
    const reader = readTurnEvents(url, { clock, stallMs: 45_000, retryDelayMs: 100 })
    expect((await reader.next()).value).toEqual(events[0])
    expect((await reader.next()).value).toEqual(events[1])
    const next = reader.next()
    await vi.waitFor(() => expect(clock.pendingSleeps).toBe(1))
    await clock.advance(45_000) // the stall
    await vi.waitFor(() => expect(clock.pendingSleeps).toBe(1))
    await clock.advance(100) // the reconnect delay
    expect((await next).value).toEqual(events[2])
    expect(await collect(reader)).toEqual(events.slice(3))
    expect(requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '2'])
    await vi.waitFor(() => expect(closed).toContain(0))
  })

  it('retries 5xx answers, and gives up after maxRetries with the last error', async () => {
    const events = turnEvents(1)
    const unavailable: Handler = (_req, res) => res.writeHead(503).end('busy')
    const first = await server(unavailable, serving(events))
    expect(await collect(readTurnEvents(first.url, { retryDelayMs: 1 }))).toEqual(events)
    const down = await server(unavailable)
    const failing = collect(readTurnEvents(down.url, { retryDelayMs: 1, maxRetries: 2 }))
    await expect(failing).rejects.toBeInstanceOf(ServerError)
    await expect(failing).rejects.toMatchObject({ status: 503, body: 'busy' })
    expect(down.requests).toHaveLength(3)
  })

  it('throws BadRequestError on a 4xx or a response that is not an event stream, without retrying', async () => {
    const missing = await server((_req, res) => res.writeHead(404).end('unknown message'))
    await expect(collect(readTurnEvents(missing.url))).rejects.toMatchObject({
      name: 'BadRequestError',
      status: 404,
      body: 'unknown message',
    })
    expect(missing.requests).toHaveLength(1)
    const html = await server((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'),
    )
    await expect(collect(readTurnEvents(html.url))).rejects.toBeInstanceOf(BadRequestError)
  })

  it('aborting the signal ends the loop quietly and closes the connection', async () => {
    const events = turnEvents(3)
    const { url, closed } = await server(serving(events.slice(0, 1), 'hang'))
    const controller = new AbortController()
    const seen: TurnEvent[] = []
    const reading = (async () => {
      for await (const event of readTurnEvents(url, { signal: controller.signal })) {
        seen.push(event)
        controller.abort()
      }
    })()
    await reading
    expect(seen).toEqual(events.slice(0, 1))
    await vi.waitFor(() => expect(closed).toEqual([0]))
  })

  it('leaving the loop (return()) closes the connection', async () => {
    const events = turnEvents(3)
    const { url, closed } = await server(serving(events.slice(0, 2), 'hang'))
    for await (const event of readTurnEvents(url)) if (event.seq === 2) break
    await vi.waitFor(() => expect(closed).toEqual([0]))
  })

  it('skips frames that are not turn events (comments, heartbeats, foreign data)', async () => {
    const events = turnEvents(1)
    const { url } = await server((_req, res) => {
      streamHead(res)
      res.end(`: heartbeat\n\ndata: not json\n\ndata: {"hello":1}\n\n${framesOf(events)}`)
    })
    expect(await collect(readTurnEvents(url))).toEqual(events)
  })
})
