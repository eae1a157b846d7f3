// Issue 15, items 1–12: the wire-layer defects an outside audit found. One regression test (or a
// few) per item; each failed on the code before its fix.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { AbortError, Client, ConnectionError, type OpencodeEvent, TimeoutError } from '../../src/index.js'
import { ManualClock } from '../../src/testing/ManualClock.js'
import { type OpencodeMessage, StaleSessionError } from '../../src/wire/index.js'
import { BASE, busy, connected, delta, frame, heartbeat, idle, pushSse, settle, sse, until } from './sse.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  server.resetHandlers()
  vi.restoreAllMocks()
})
afterAll(() => server.close())

const S = 'ses_1'
const ev = (type: string, properties: Record<string, unknown>): OpencodeEvent => ({
  type,
  properties: { sessionID: S, ...properties },
})
const assistant = (id = 'msg_a') => ev('message.updated', { info: { id, sessionID: S, role: 'assistant' } })
const _textPart = (id: string, text: string, messageID = 'msg_a') =>
  ev('message.part.updated', { part: { id, sessionID: S, messageID, type: 'text', text } })
const _toolUpdate = (id: string, state: Record<string, unknown>, tool = 'bash') =>
  ev('message.part.updated', {
    part: { id, sessionID: S, messageID: 'msg_a', type: 'tool', tool, callID: `call_${id}`, state },
  })
const _todos = ev('todo.updated', { todos: [{ id: 't1', content: 'Draft', status: 'in-progress' }] })
const _userMessage = (text: string): OpencodeMessage => ({
  info: { id: 'msg_u', sessionID: S, role: 'user' },
  parts: [{ id: 'prt_u', type: 'text', text }],
})
const _assistantMessage = (parts: OpencodeMessage['parts']): OpencodeMessage => ({
  info: { id: 'msg_a', sessionID: S, role: 'assistant' },
  parts,
})

/** Serve /event with `chunks`, prompt_async with 204, and /message with `messages()`. */
const serveTurn = (chunks: string[], messages: () => Response | Promise<Response>) =>
  server.use(
    http.get(`${BASE}/event`, () => sse(chunks)),
    http.post(`${BASE}/session/${S}/prompt_async`, () => new HttpResponse(null, { status: 204 })),
    http.get(`${BASE}/session/${S}/message`, messages),
  )

const collect = async (events: AsyncIterable<OpencodeEvent>) => {
  const seen: OpencodeEvent[] = []
  for await (const event of events) seen.push(event)
  return seen
}

describe('issue 15 #1: a blocked stream whose server is gone ends', () => {
  it('with a question pending, the server closes the stream and stops listening: TimeoutError once the overall deadline passes (the check before a reconnect is never suspended)', async () => {
    const clock = new ManualClock()
    let count = 0
    const fetch = async () => {
      count++
      if (count === 1) return sse([frame(connected), frame(busy())]) // then the server goes away
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      })
    }
    const done = settle(
      collect(
        new Client({ api: 'v1', baseUrl: BASE, fetch, clock }).events(S, {
          blocked: () => true,
          reconnectDelayMs: 100,
          deadlines: { overallMs: 1_000, firstEventMs: 60_000 },
        }),
      ),
    )
    for (let i = 0; i < 20 && clock.now() < 1_500; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2)) // the (refused) reconnect happens
      await clock.advance(100)
      const outcome = await Promise.race([
        done,
        new Promise((resolve) => setTimeout(() => resolve('running'), 1)),
      ])
      if (outcome !== 'running') break
    }
    expect(count).toBeGreaterThan(2) // it did try to reconnect, and was refused
    const error = await done
    expect(error).toBeInstanceOf(TimeoutError)
    expect(clock.now()).toBeLessThanOrEqual(1_100)
  })

  it('the total suspension is bounded: blocked for longer than blockedMs on a live connection → TimeoutError', async () => {
    const push = pushSse()
    server.use(http.get(`${BASE}/event`, () => push.response))
    const clock = new ManualClock()
    const done = settle(
      collect(
        new Client({ api: 'v1', baseUrl: BASE, clock }).events(S, {
          blocked: () => true,
          deadlines: { overallMs: 1_000, blockedMs: 5_000, readMs: 60_000 },
        }),
      ),
    )
    push.push(frame(connected) + frame(busy()))
    let error: unknown = 'still running'
    for (let i = 0; i < 20; i++) {
      await until(() => clock.pendingSleeps > 0, 'the stream waiting')
      await clock.advance(500)
      push.push(frame(heartbeat)) // the connection stays alive and delivering
      error = await Promise.race([
        done,
        new Promise((resolve) => setTimeout(() => resolve('still running'), 1)),
      ])
      if (error !== 'still running') break
    }
    expect(error).toBeInstanceOf(TimeoutError)
    expect(clock.now()).toBeGreaterThanOrEqual(5_000)
    expect(clock.now()).toBeLessThanOrEqual(6_500)
  })
})

describe('issue 15 #6: stream()’s final poll', () => {
  const chunks = [frame(connected), frame(assistant()), frame(delta('Hi', S, 'prt_t')), frame(idle())]

  it('an abort during the final poll rejects with AbortError', async () => {
    const controller = new AbortController()
    let polled = false
    serveTurn(chunks, async () => {
      polled = true
      controller.abort()
      return new Promise<Response>(() => {}) // never answers
    })
    const error = await settle(
      new Client({ api: 'v1', baseUrl: BASE }).stream(S, 'hi', { signal: controller.signal }),
    )
    expect(polled).toBe(true)
    expect(error).toBeInstanceOf(AbortError)
  })

  it('a hanging final poll is bounded by its own short deadline, not the 120 s request timeout: the streamed result stands', async () => {
    const clock = new ManualClock()
    let polled = false
    serveTurn(chunks, async () => {
      polled = true
      return new Promise<Response>(() => {})
    })
    const done = settle(new Client({ api: 'v1', baseUrl: BASE, clock }).stream(S, 'hi'))
    await until(() => polled && clock.pendingSleeps > 0, 'the final poll')
    await clock.advance(10_000)
    const result = await done
    expect(result).toMatchObject({ fullText: 'Hi' })
  })
})

describe('issue 15 #12: an unreachable server is not a stale session', () => {
  it('the first connection refused → ConnectionError at once (no reconnect loop until the first-event deadline)', async () => {
    let count = 0
    const fetch = async () => {
      count++
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      })
    }
    const clock = new ManualClock()
    const done = settle(collect(new Client({ api: 'v1', baseUrl: BASE, fetch, clock }).events(S)))
    const error = await Promise.race([
      done,
      new Promise((resolve) => setTimeout(() => resolve('still reconnecting'), 50)),
    ])
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).not.toBeInstanceOf(StaleSessionError)
    expect(count).toBe(1)
  })

  it('against a real refused port too', async () => {
    server.close()
    try {
      const error = await settle(collect(new Client({ api: 'v1', baseUrl: 'http://127.0.0.1:1' }).events(S)))
      expect(error).toBeInstanceOf(ConnectionError)
    } finally {
      server.listen({ onUnhandledRequest: 'error' })
    }
  })

  it('after a stream was established, a refused reconnect keeps reconnecting (until terminal or a deadline)', async () => {
    let count = 0
    const fetch = async () => {
      count++
      if (count === 2) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })
      if (count === 1) return sse([frame(connected), frame(delta('a'))])
      return sse([frame(connected), frame(delta('b')), frame(idle())])
    }
    const seen = await collect(
      new Client({ api: 'v1', baseUrl: BASE, fetch }).events(S, { reconnectDelayMs: 0 }),
    )
    expect(seen.map((e) => e.properties.delta).filter(Boolean)).toEqual(['a', 'b'])
    expect(count).toBe(3)
  })
})
