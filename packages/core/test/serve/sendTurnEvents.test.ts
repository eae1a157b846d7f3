import { EventEmitter } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { sendTurnEvents, type TurnEvent } from '../../src/index.js'
import type { NodeResponseLike } from '../../src/serve/sendTurnEvents.js'
import type { EventStreamSource } from '../../src/serve/turnEventPump.js'
import { channel, framesOf, textReader, turnEvents } from './support.js'

const servers: Server[] = []
afterEach(() => {
  for (const server of servers.splice(0)) server.close()
})

async function serveWith(source: (url: string) => EventStreamSource): Promise<string> {
  const finished: Promise<void>[] = []
  const server = createServer((req, res) => {
    finished.push(sendTurnEvents(req, res, source(req.url ?? '')))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function* from(events: TurnEvent[]) {
  yield* events
}

describe('sendTurnEvents (node:http)', () => {
  it('serves the frames with the event-stream headers and ends after the finish', async () => {
    const events = turnEvents(4)
    const url = await serveWith(() => from(events))
    const response = await fetch(`${url}/e`)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('x-accel-buffering')).toBe('no')
    expect(await response.text()).toBe(framesOf(events))
  })

  it('honours Last-Event-ID and ?after=', async () => {
    const events = turnEvents(4)
    const url = await serveWith(
      () =>
        ({ after }) =>
          from(events.slice(after)),
    )
    expect(await (await fetch(`${url}/e`, { headers: { 'last-event-id': '3' } })).text()).toBe(
      framesOf(events.slice(3)),
    )
    expect(await (await fetch(`${url}/e?after=5`)).text()).toBe(framesOf(events.slice(5)))
  })

  it('a client that goes away aborts the source signal and calls return(); the call resolves', async () => {
    const source = channel()
    let signal: AbortSignal | undefined
    let served: Promise<void> | undefined
    const server = createServer((req, res) => {
      served = sendTurnEvents(req, res, (from) => {
        signal = from.signal
        return source.iterator
      })
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const client = new AbortController()
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/e`, {
      signal: client.signal,
    })
    const body = textReader(response.body!)
    source.push(turnEvents(0)[0] as TurnEvent)
    expect(await body.next()).toContain('id: 1\n')
    client.abort()
    await vi.waitFor(() => expect(source.state.returned).toBe(true))
    expect(signal?.aborted).toBe(true)
    await served
  })

  it('waits for the socket to drain: a client that does not read is not buffered for', async () => {
    const source = channel()
    source.push(...turnEvents(50))
    const response = Object.assign(new EventEmitter(), {
      chunks: [] as string[],
      writableEnded: false,
      destroyed: false,
      writeHead: vi.fn(),
      write(chunk: string) {
        response.chunks.push(chunk)
        return false // the socket's buffer is full
      },
      end() {
        response.writableEnded = true
      },
    })
    const served = sendTurnEvents({ headers: {} }, response as unknown as NodeResponseLike, source.iterator)
    await vi.waitFor(() => expect(response.chunks).toHaveLength(1))
    await new Promise((resolve) => setImmediate(resolve))
    expect(source.state.pulled).toBe(1)
    response.emit('drain')
    await vi.waitFor(() => expect(response.chunks).toHaveLength(2))
    expect(source.state.pulled).toBe(2)
    response.destroyed = true
    response.emit('close')
    await served
    expect(source.state.returned).toBe(true)
    expect(response.writeHead).toHaveBeenCalledWith(
      200,
      expect.objectContaining({ 'cache-control': 'no-cache, no-transform' }),
    )
  })
})
