import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { describe, expect, it, vi } from 'vitest'
import { lastEventSeq, type TurnEvent, turnEventResponse } from '../../src/index.js'
import { ManualClock } from '../../src/testing/index.js'
import { channel, framesOf, textReader, turnEvents } from './support.js'

async function* from(events: TurnEvent[]) {
  yield* events
}

describe('lastEventSeq', () => {
  it('reads Last-Event-ID, else ?after=, else 0', () => {
    expect(lastEventSeq(new Request('http://x/e', { headers: { 'last-event-id': '17' } }))).toBe(17)
    expect(lastEventSeq(new Request('http://x/e?after=9'))).toBe(9)
    expect(lastEventSeq(new Request('http://x/e?after=9', { headers: { 'last-event-id': '12' } }))).toBe(12)
    expect(lastEventSeq(new Request('http://x/e'))).toBe(0)
    expect(lastEventSeq({ headers: { 'last-event-id': ' 4 ' }, url: '/e' })).toBe(4)
    expect(lastEventSeq({ headers: { 'last-event-id': ['5', '6'] } })).toBe(5)
    expect(lastEventSeq({ headers: {}, url: '/e?x=1&after=3' })).toBe(3)
  })

  it('counts anything but a non-negative integer as 0', () => {
    for (const bad of ['-1', '1.5', 'abc', '', '1e3', '99999999999999999999']) {
      expect(lastEventSeq({ headers: { 'last-event-id': bad } })).toBe(0)
      expect(lastEventSeq(new Request(`http://x/e?after=${encodeURIComponent(bad)}`))).toBe(0)
    }
  })
})

describe('turnEventResponse', () => {
  it('serves each event as a frame with its seq as id, and ends after the finish', async () => {
    const events = turnEvents(3)
    const response = turnEventResponse(from(events))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(await response.text()).toBe(framesOf(events))
  })

  it('honours Last-Event-ID from the request: only what the client missed', async () => {
    const events = turnEvents(5)
    const request = new Request('http://x/e', { headers: { 'last-event-id': '4' } })
    const response = turnEventResponse(from(events), { request })
    expect(await response.text()).toBe(framesOf(events.slice(4)))
  })

  it('hands the source function where the client stands and a signal', async () => {
    const events = turnEvents(5)
    const source = vi.fn(({ after }: { after: number; signal: AbortSignal }) => from(events.slice(after)))
    const response = turnEventResponse(source, { request: new Request('http://x/e?after=2') })
    expect(await response.text()).toBe(framesOf(events.slice(2)))
    expect(source).toHaveBeenCalledWith({ after: 2, signal: expect.any(AbortSignal) })
  })

  it('stops reading the source after the finish and releases it', async () => {
    const source = channel()
    const events = turnEvents(1)
    source.push(...events, { ...(events[0] as TurnEvent), seq: 99 })
    const response = turnEventResponse(source.iterator)
    expect(await response.text()).toBe(framesOf(events))
    expect(source.state.returned).toBe(true)
    expect(source.state.pulled).toBe(events.length)
  })

  it('sends a heartbeat after heartbeatMs of quiet, and none while events flow', async () => {
    const clock = new ManualClock()
    const source = channel()
    const body = textReader(turnEventResponse(source.iterator, { clock, heartbeatMs: 1000 }).body!)
    const events = turnEvents(1)
    source.push(events[0] as TurnEvent)
    expect(await body.next()).toBe(framesOf(events.slice(0, 1)))
    const next = body.next()
    await vi.waitFor(() => expect(clock.pendingSleeps).toBe(1))
    await clock.advance(999)
    source.push(events[1] as TurnEvent)
    expect(await next).toBe(framesOf(events.slice(1, 2)))
    const quiet = body.next()
    await vi.waitFor(() => expect(clock.pendingSleeps).toBe(1))
    await clock.advance(1000)
    expect(await quiet).toBe(': heartbeat\n\n')
    source.push(events[2] as TurnEvent)
    expect(await body.next()).toBe(framesOf(events.slice(2)))
    expect(await body.next()).toBeUndefined()
  })

  it('cancelling the body (the tab closed) aborts the source signal and calls return()', async () => {
    const source = channel()
    let signal: AbortSignal | undefined
    const response = turnEventResponse((from) => {
      signal = from.signal
      return source.iterator
    })
    const body = textReader(response.body!)
    source.push(turnEvents(0)[0] as TurnEvent)
    await body.next()
    const pending = body.next() // waiting on a quiet source
    await body.reader.cancel()
    expect(source.state.returned).toBe(true)
    expect(signal?.aborted).toBe(true)
    expect(await pending).toBeUndefined()
  })

  it("the request's signal aborting releases the source too", async () => {
    const source = channel()
    const controller = new AbortController()
    const request = new Request('http://x/e', { signal: controller.signal })
    const body = textReader(turnEventResponse(source.iterator, { request }).body!)
    const pending = body.next()
    controller.abort()
    expect(await pending).toBeUndefined()
    expect(source.state.returned).toBe(true)
  })

  it('a source that throws is reported and the stream ends (the client reconnects)', async () => {
    const onError = vi.fn()
    async function* failing() {
      yield turnEvents(0)[0] as TurnEvent
      throw new Error('redis gone')
    }
    const response = turnEventResponse(failing(), { onError })
    expect(await response.text()).toBe(framesOf(turnEvents(0).slice(0, 1)))
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'redis gone' }),
      expect.objectContaining({ feature: 'opencode.serve', action: 'source' }),
    )
  })

  it('merges extra headers', () => {
    const response = turnEventResponse(from([]), { headers: { 'access-control-allow-origin': '*' } })
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect(response.headers.get('content-type')).toContain('text/event-stream')
  })

  it('on a real Fetch-style server (Hono on Node): a client that goes away frees the source', async () => {
    const source = channel()
    let signal: AbortSignal | undefined
    const app = new Hono().get('/events', (c) =>
      turnEventResponse(
        (from) => {
          signal = from.signal
          return source.iterator
        },
        { request: c.req.raw },
      ),
    )
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as { port: number }
    try {
      const client = new AbortController()
      const response = await fetch(`http://127.0.0.1:${port}/events`, {
        headers: { 'last-event-id': '1' },
        signal: client.signal,
      })
      const body = textReader(response.body!)
      const events = turnEvents(2)
      source.push(...events.slice(0, 3))
      let text = ''
      while (!text.includes('id: 3\n')) text += await body.next()
      expect(text).toBe(framesOf(events.slice(1, 3)))
      client.abort()
      await vi.waitFor(() => expect(source.state.returned).toBe(true))
      expect(signal?.aborted).toBe(true)
    } finally {
      server.close()
    }
  })
})
