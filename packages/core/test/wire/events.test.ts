// Client.events (the event stream as an async iterable) and Client.prompt.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { AbortError, Client, type OpencodeEvent } from '../../src/index.js'
import { ManualClock } from '../../src/testing/ManualClock.js'
import { Reply, StaleSessionError } from '../../src/wire/index.js'
import {
  BASE,
  connected,
  delta,
  frame,
  heartbeat,
  idle,
  openSse,
  pushSse,
  settle,
  sse,
  until,
} from './sse.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const connections = (...responses: Array<() => Response>) => {
  const state = { count: 0, closed: 0 }
  server.use(
    http.get(`${BASE}/event`, ({ request }) => {
      request.signal.addEventListener('abort', () => state.closed++)
      const respond = responses[Math.min(state.count, responses.length - 1)] as () => Response
      state.count++
      return respond()
    }),
  )
  return state
}

const collect = async (events: AsyncIterable<OpencodeEvent>) => {
  const seen: OpencodeEvent[] = []
  for await (const event of events) seen.push(event)
  return seen
}

describe('Client.events', () => {
  it('yields server.connected, heartbeats and the session events, and ends after the terminal idle', async () => {
    connections(() =>
      sse([
        frame(connected),
        frame(heartbeat),
        frame(delta('a', 'ses_2')),
        frame(delta('b')),
        frame(idle()),
        frame(delta('after')),
      ]),
    )
    const seen = await collect(new Client({ api: 'v1', baseUrl: BASE }).events('ses_1'))
    expect(seen.map((e) => e.properties.delta ?? e.type)).toEqual([
      'server.connected',
      'server.heartbeat',
      'b',
      'session.status',
    ])
  })

  it('runs onceConnected once, after the connection is established and before the first event is yielded', async () => {
    connections(
      () => sse([frame(connected), frame(delta('one '))]),
      () => sse([frame(connected), frame(delta('two')), frame(idle())]),
    )
    const order: string[] = []
    const onceConnected = vi.fn(() => {
      order.push('prompt')
    })
    const reply = new Reply()
    for await (const event of new Client({ api: 'v1', baseUrl: BASE }).events('ses_1', {
      onceConnected,
      reconnectDelayMs: 0,
    })) {
      order.push(event.type)
      reply.apply(event)
    }
    expect(onceConnected).toHaveBeenCalledOnce()
    expect(order[0]).toBe('prompt')
    expect(reply.result.fullText).toBe('one two')
  })

  it('a rejection of onceConnected ends the stream with that error, unchanged', async () => {
    connections(() => openSse([frame(connected)]))
    const boom = new Error('prompt failed')
    const error = await settle(
      collect(
        new Client({ api: 'v1', baseUrl: BASE }).events('ses_1', {
          onceConnected: async () => {
            throw boom
          },
        }),
      ),
    )
    expect(error).toBe(boom)
  })

  it('leaving the loop early closes the connection', async () => {
    const state = connections(() => openSse([frame(connected), frame(delta('a'))]))
    for await (const event of new Client({ api: 'v1', baseUrl: BASE }).events('ses_1')) {
      if (event.type === 'message.part.delta') break
    }
    await until(() => state.closed === 1, 'the connection to close')
  })

  it('the consumer paces the stream: nothing more is yielded while the loop body awaits', async () => {
    const push = pushSse()
    connections(() => push.response)
    const seen: string[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const done = settle(
      (async () => {
        for await (const event of new Client({ api: 'v1', baseUrl: BASE }).events('ses_1')) {
          seen.push(event.properties.delta ? String(event.properties.delta) : event.type)
          if (event.properties.delta === 'a') await gate
        }
      })(),
    )
    push.push(frame(connected) + frame(delta('a')) + frame(delta('b')) + frame(idle()))
    await until(() => seen.length === 2, 'the first delta')
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(seen).toEqual(['server.connected', 'a'])
    release()
    expect(await done).toBeUndefined()
    expect(seen).toEqual(['server.connected', 'a', 'b', 'session.status'])
  })

  it('deadlines and the clock come from the options: firstEventMs → StaleSessionError', async () => {
    connections(() => openSse([frame(connected)]))
    const clock = new ManualClock()
    const done = settle(
      collect(
        new Client({ api: 'v1', baseUrl: BASE }).events('ses_1', {
          clock,
          deadlines: { firstEventMs: 1_000 },
        }),
      ),
    )
    await until(() => clock.pendingSleeps > 0, 'the stream waiting')
    await clock.advance(1_000)
    expect(await done).toBeInstanceOf(StaleSessionError)
  })

  it('blocked() suspends the overall deadline while it returns true', async () => {
    connections(() => openSse([frame(connected), frame(delta('a'))]))
    const clock = new ManualClock()
    let blocked = true
    const seen: string[] = []
    const done = settle(
      (async () => {
        for await (const event of new Client({ api: 'v1', baseUrl: BASE }).events('ses_1', {
          clock,
          blocked: () => blocked,
          deadlines: { overallMs: 1_000, readMs: 1_000_000 },
        }))
          seen.push(event.type)
      })(),
    )
    await until(() => seen.length === 2, 'the stream reading')
    await clock.advance(1_000)
    await until(() => clock.pendingSleeps > 0, 'the stream waiting again')
    expect(await Promise.race([done, Promise.resolve('still running')])).toBe('still running')
    blocked = false
    await clock.advance(1_000)
    expect(await done).toMatchObject({ code: 'timeout' })
  })

  it('an aborted signal ends the stream with AbortError', async () => {
    connections(() => openSse([frame(connected)]))
    const controller = new AbortController()
    const seen: string[] = []
    const done = settle(
      (async () => {
        for await (const event of new Client({ api: 'v1', baseUrl: BASE }).events('ses_1', {
          signal: controller.signal,
        }))
          seen.push(event.type)
      })(),
    )
    await until(() => seen.length === 1, 'connected')
    controller.abort()
    expect(await done).toBeInstanceOf(AbortError)
  })
})

describe('Client.prompt', () => {
  it('POST /session/:id/prompt_async with the text as a part, messageID, agent and system; 204 → resolves', async () => {
    let body: unknown
    server.use(
      http.post(`${BASE}/session/ses_1/prompt_async`, async ({ request }) => {
        body = await request.json()
        return new HttpResponse(null, { status: 204 })
      }),
    )
    await new Client({ api: 'v1', baseUrl: BASE }).prompt('ses_1', {
      text: 'Hello',
      messageId: 'msg_0123456789abABCDEFGHIJKLMN',
      agent: 'plan',
      system: 'Be brief.',
    })
    expect(body).toEqual({
      messageID: 'msg_0123456789abABCDEFGHIJKLMN',
      parts: [{ type: 'text', text: 'Hello' }],
      agent: 'plan',
      system: 'Be brief.',
    })
  })
})
