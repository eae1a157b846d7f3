// wire-client.md §2 (the SSE loop), one test per clause. Time is a ManualClock: nothing waits for real.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { AbortError, Client, type OpencodeEvent, ServerError, TimeoutError } from '../../src/index.js'
import { ManualClock } from '../../src/testing/ManualClock.js'
import {
  FrameTooLargeError,
  IdleStreamError,
  type MalformedFrame,
  Reply,
  StaleSessionError,
} from '../../src/wire/index.js'
import {
  BASE,
  busy,
  connected,
  delta,
  followSession,
  frame,
  heartbeat,
  idle,
  openSse,
  pushSse,
  type StreamRun,
  settle,
  sse,
  until,
} from './sse.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  server.resetHandlers()
})
afterAll(() => server.close())

/** Serve one response per connection, in order; the last one repeats. Returns the connection count. */
const connections = (...responses: Array<() => Response>) => {
  const state = { count: 0, urls: [] as string[], accept: [] as Array<string | null> }
  server.use(
    http.get(`${BASE}/event`, ({ request }) => {
      state.urls.push(request.url)
      state.accept.push(request.headers.get('accept'))
      const respond = responses[Math.min(state.count, responses.length - 1)] as () => Response
      state.count++
      return respond()
    }),
  )
  return state
}

/** Follow ses_1 through client.events(), collecting the yielded events; `fetch` makes a client with it. */
const run = (
  options: Partial<StreamRun> & { clock?: ManualClock; fetch?: typeof globalThis.fetch },
  client = new Client({ api: 'v1', baseUrl: BASE, fetch: options.fetch }),
) => {
  const seen: string[] = []
  const events: OpencodeEvent[] = []
  const { fetch: _fetch, ...rest } = options
  const done = settle(
    followSession(client, { sessionId: 'ses_1', reconnectDelayMs: 0, ...rest }, (event) => {
      seen.push(event.type)
      events.push(event)
    }),
  )
  return { seen, events, done }
}

describe('Client.events: connection (wire-client §2)', () => {
  it('§2 opens GET /event with Accept: text/event-stream, scoped by directory and workspace', async () => {
    const state = connections(() => sse([frame(connected), frame(idle())]))
    const { done } = run({}, new Client({ api: 'v1', baseUrl: BASE, directory: '/srv/a', workspace: 'w1' }))
    expect(await done).toBeUndefined()
    expect(state.accept).toEqual(['text/event-stream'])
    expect(state.urls).toEqual([`${BASE}/event?directory=%2Fsrv%2Fa&workspace=w1`])
  })

  it('§2 a non-2xx on GET /event → ServerError with status and body (not retried)', async () => {
    const state = connections(() => new HttpResponse('maintenance', { status: 503 }))
    const error = await run({}).done
    expect(error).toBeInstanceOf(ServerError)
    expect(error).toMatchObject({ status: 503, body: 'maintenance' })
    expect(state.count).toBe(1)
  })

  it('§2 a 404 on GET /event is a ServerError too (the stream is not session-scoped)', async () => {
    connections(() => HttpResponse.json({}, { status: 404 }))
    expect(await run({}).done).toBeInstanceOf(ServerError)
  })

  it('§2 the client injected fetch opens the stream; a clock on the options replaces the client one', async () => {
    const fetch = vi.fn(async () => sse([frame(connected), frame(idle())]))
    const clock = new ManualClock()
    const client = new Client({ api: 'v1', baseUrl: BASE, fetch, clock: new ManualClock() })
    expect(await run({ clock }, client).done).toBeUndefined()
    expect(fetch).toHaveBeenCalledOnce()
  })
})

describe('Client.events: filtering (wire-client §2)', () => {
  it('§2 filtering: server.connected and server.heartbeat always pass', async () => {
    connections(() => sse([frame(connected), frame(heartbeat), frame(idle())]))
    const { seen, done } = run({})
    await done
    expect(seen).toEqual(['server.connected', 'server.heartbeat', 'session.status'])
  })

  it.each([
    ['properties.sessionID', { sessionID: 'ses_1', status: { type: 'busy' } }],
    ['properties.info.sessionID', { info: { id: 'msg_a', sessionID: 'ses_1', role: 'assistant' } }],
    ['properties.part.sessionID', { part: { id: 'prt_1', sessionID: 'ses_1', type: 'step-start' } }],
  ])('§2 filtering: an event passes when %s equals the session', async (_where, properties) => {
    connections(() => sse([frame(connected), frame({ type: 'x.matching', properties }), frame(idle())]))
    const { seen, done } = run({})
    await done
    expect(seen).toContain('x.matching')
  })

  it('§2 filtering: events of another session, or of none, are dropped (and are not terminal)', async () => {
    connections(() =>
      sse([
        frame(connected),
        frame(delta('other', 'ses_2')),
        frame(idle('ses_2')),
        frame({ type: 'file.edited', properties: { file: 'a.ts' } }),
        frame(idle()),
      ]),
    )
    const { events, done } = run({})
    await done
    expect(events.map((e) => [e.type, e.properties.sessionID])).toEqual([
      ['server.connected', undefined],
      ['session.status', 'ses_1'],
    ])
  })
})

describe('Client.events: the subscription handshake (wire-client §2)', () => {
  it('§2 handshake: nothing is yielded before the first server.connected of a connection', async () => {
    connections(() =>
      sse([frame(heartbeat), frame(delta('early')), frame(connected), frame(delta('late')), frame(idle())]),
    )
    const { events, done } = run({})
    await done
    expect(events.map((e) => e.properties.delta ?? e.type)).toEqual([
      'server.connected',
      'late',
      'session.status',
    ])
  })

  it('§2 handshake: onSubscribed is called once, after server.connected and before anything is yielded', async () => {
    connections(() => sse([frame(connected), frame(delta('a')), frame(idle())]))
    const order: string[] = []
    const { done } = run({
      onSubscribed: () => order.push('subscribed'),
      onActivityTick: (e) => order.push(`tick ${e.type}`),
    })
    await done
    expect(order).toEqual([
      'subscribed',
      'tick server.connected',
      'tick message.part.delta',
      'tick session.status',
    ])
  })

  it('§2 handshake: on reconnect onSubscribed is never called again (the prompt is sent once), and the new connection is gated by its own server.connected', async () => {
    const state = connections(
      () => sse([frame(connected), frame(delta('one '))]),
      () =>
        sse([
          frame(delta('dropped: before connected')),
          frame(connected),
          frame(delta('two')),
          frame(idle()),
        ]),
    )
    const onSubscribed = vi.fn(() => true)
    const reply = new Reply()
    const done = settle(
      followSession(
        new Client({ api: 'v1', baseUrl: BASE }),
        { sessionId: 'ses_1', onSubscribed, reconnectDelayMs: 0 },
        (e) => reply.apply(e),
      ),
    )
    expect(await done).toBeUndefined()
    expect(state.count).toBe(2)
    expect(onSubscribed).toHaveBeenCalledOnce()
    expect(reply.result.fullText).toBe('one two')
  })

  it('§2 handshake: onSubscribed is marked attempted before the call — a TimeoutError from it (the prompt may have arrived) propagates unchanged and is never retried', async () => {
    const state = connections(() => sse([frame(connected), frame(idle())]))
    const timeout = new TimeoutError('POST /session/ses_1/prompt_async timed out')
    const onSubscribed = vi.fn(async () => {
      throw timeout
    })
    expect(await run({ onSubscribed }).done).toBe(timeout)
    expect(onSubscribed).toHaveBeenCalledOnce()
    expect(state.count).toBe(1)
  })

  it('§2 handshake: a truthy onSubscribed return restarts the first-event deadline from now', async () => {
    connections(() => openSse([frame(connected)]))
    const clock = new ManualClock()
    const { done } = run({
      clock,
      firstEventTimeoutMs: 5_000,
      onSubscribed: async () => {
        await clock.advance(4_000) // a slow prompt POST
        return true
      },
    })
    await until(() => clock.now() === 4_000 && clock.pendingSleeps > 0, 'the stream waiting after the prompt')
    await clock.advance(4_999)
    await clock.advance(0)
    expect(await Promise.race([done, Promise.resolve('still running')])).toBe('still running')
    await clock.advance(1)
    expect(await done).toBeInstanceOf(StaleSessionError)
  })

  it('§2 handshake: a falsy onSubscribed return keeps the original deadlines', async () => {
    connections(() => openSse([frame(connected)]))
    const clock = new ManualClock()
    const { done } = run({
      clock,
      firstEventTimeoutMs: 5_000,
      onSubscribed: async () => {
        await clock.advance(4_000)
        return false
      },
    })
    await until(() => clock.now() === 4_000 && clock.pendingSleeps > 0, 'the stream waiting after the prompt')
    await clock.advance(1_000)
    expect(await done).toBeInstanceOf(StaleSessionError)
  })

  it('§2 handshake: a truthy onSubscribed return restarts the overall deadline too', async () => {
    connections(() => openSse([frame(connected), frame(busy())]))
    const clock = new ManualClock()
    const { done } = run({
      clock,
      timeoutMs: 10_000,
      onSubscribed: async () => {
        await clock.advance(9_000)
        return true
      },
    })
    await until(() => clock.pendingSleeps > 0, 'the stream waiting')
    await clock.advance(9_999)
    expect(await Promise.race([done, Promise.resolve('still running')])).toBe('still running')
    await clock.advance(1)
    expect(await done).toBeInstanceOf(TimeoutError)
  })

  it('§2 an exception from the event callback propagates unchanged (never treated as a transport error)', async () => {
    const state = connections(() => sse([frame(connected), frame(delta('x')), frame(idle())]))
    const boom = new TypeError('fetch failed') // looks like a transport error, must not be one
    const done = settle(
      followSession(new Client({ api: 'v1', baseUrl: BASE }), { sessionId: 'ses_1' }, (e) => {
        if (e.type === 'message.part.delta') throw boom
      }),
    )
    expect(await done).toBe(boom)
    expect(state.count).toBe(1)
  })

  it('§2 an async rejection from the event callback propagates unchanged', async () => {
    connections(() => sse([frame(connected), frame(delta('x')), frame(idle())]))
    const boom = new Error('db down')
    const done = settle(
      followSession(new Client({ api: 'v1', baseUrl: BASE }), { sessionId: 'ses_1' }, async (e) => {
        if (e.type === 'message.part.delta') throw boom
      }),
    )
    expect(await done).toBe(boom)
  })

  it('§2 an exception from onActivityTick propagates unchanged', async () => {
    connections(() => sse([frame(connected), frame(idle())]))
    const boom = new Error('tick failed')
    const done = run({
      onActivityTick: () => {
        throw boom
      },
    }).done
    expect(await done).toBe(boom)
  })
})

describe('Client.events: activity ticks and terminal events (wire-client §2)', () => {
  it('§2 onActivityTick runs for every yielded event, heartbeats included, then the callback', async () => {
    connections(() =>
      sse([frame(connected), frame(heartbeat), frame(heartbeat), frame(delta('a')), frame(idle())]),
    )
    const order: string[] = []
    await settle(
      followSession(
        new Client({ api: 'v1', baseUrl: BASE }),
        { sessionId: 'ses_1', onActivityTick: async (e) => void order.push(`tick ${e.type}`) },
        (e) => void order.push(`event ${e.type}`),
      ),
    )
    expect(order).toEqual([
      'tick server.connected',
      'event server.connected',
      'tick server.heartbeat',
      'event server.heartbeat',
      'tick server.heartbeat',
      'event server.heartbeat',
      'tick message.part.delta',
      'event message.part.delta',
      'tick session.status',
      'event session.status',
    ])
  })

  it('§2 terminal: session.status with status.type "idle" returns (later frames are not read)', async () => {
    connections(() => sse([frame(connected), frame(idle()), frame(delta('after idle'))]))
    const { seen, done } = run({})
    expect(await done).toBeUndefined()
    expect(seen).toEqual(['server.connected', 'session.status'])
  })

  it('§2 terminal: legacy session.idle returns', async () => {
    connections(() =>
      sse([frame(connected), frame({ type: 'session.idle', properties: { sessionID: 'ses_1' } })]),
    )
    const { seen, done } = run({})
    expect(await done).toBeUndefined()
    expect(seen).toEqual(['server.connected', 'session.idle'])
  })

  it('§2 terminal: session.status busy and retry are not terminal', async () => {
    const retry = {
      type: 'session.status',
      properties: { sessionID: 'ses_1', status: { type: 'retry', attempt: 1 } },
    }
    connections(() => sse([frame(connected), frame(busy()), frame(retry), frame(idle())]))
    const { seen, done } = run({})
    await done
    expect(seen).toEqual(['server.connected', 'session.status', 'session.status', 'session.status'])
  })
})

describe('Client.events: deadlines on a ManualClock (wire-client §2)', () => {
  it('§2 deadline first-event: no session event before firstEventTimeoutMs → StaleSessionError, heartbeats do not count', async () => {
    const push = pushSse()
    connections(() => push.response)
    const clock = new ManualClock()
    const { seen, done } = run({ clock, firstEventTimeoutMs: 120_000, readTimeoutMs: 3_600_000 })
    push.push(frame(connected))
    await until(() => seen.length === 1 && clock.pendingSleeps > 0, 'connected')
    for (let i = 0; i < 3; i++) {
      await clock.advance(30_000)
      push.push(frame(heartbeat))
      await until(() => seen.length === 2 + i && clock.pendingSleeps > 0, 'a heartbeat')
    }
    await clock.advance(30_000)
    const error = await done
    expect(error).toBeInstanceOf(StaleSessionError)
    expect((error as Error).message).toContain('120000 ms')
  })

  it('§2 deadline first-event is not suspendable: a pending prompt does not push it', async () => {
    connections(() => openSse([frame(connected)]))
    const clock = new ManualClock()
    const { done } = run({ clock, firstEventTimeoutMs: 1_000, reply: { promptBlocked: true } })
    await until(() => clock.pendingSleeps > 0, 'the stream waiting')
    await clock.advance(1_000)
    expect(await done).toBeInstanceOf(StaleSessionError)
  })

  it('§2 deadline overall: no terminal event before timeoutMs → TimeoutError, even while session events keep coming', async () => {
    const push = pushSse()
    connections(() => push.response)
    const clock = new ManualClock()
    const { seen, done } = run({ clock, timeoutMs: 10_000 })
    push.push(frame(connected))
    for (let i = 0; i < 4; i++) {
      push.push(frame(busy()))
      await until(() => seen.length === 2 + i && clock.pendingSleeps > 0, 'an event')
      await clock.advance(2_000)
    }
    await clock.advance(2_000)
    expect(await done).toBeInstanceOf(TimeoutError)
  })

  it('§2 deadline overall is pushed to now + timeout while reply.promptBlocked (question/permission pending)', async () => {
    connections(() => openSse([frame(connected), frame(busy())]))
    const clock = new ManualClock()
    const reply = { promptBlocked: true }
    const { seen, done } = run({ clock, timeoutMs: 1_000, reply })
    await until(() => seen.length === 2 && clock.pendingSleeps > 0, 'the stream waiting')
    for (let i = 0; i < 5; i++) {
      await clock.advance(1_000) // a human takes minutes to answer: nothing fires
      await until(() => clock.pendingSleeps > 0, 'the stream waiting again')
    }
    reply.promptBlocked = false
    await clock.advance(1_000)
    expect(await done).toBeInstanceOf(TimeoutError)
    expect(clock.now()).toBe(6_000)
  })

  it('§2 deadline idle window: session events, then silence past idleStreamTimeoutMs while heartbeats continue → IdleStreamError', async () => {
    const push = pushSse()
    connections(() => push.response)
    const clock = new ManualClock()
    const { seen, done } = run({ clock, idleStreamTimeoutMs: 60_000 })
    push.push(frame(connected) + frame(busy()))
    await until(() => seen.length === 2 && clock.pendingSleeps > 0, 'a session event')
    for (let i = 0; i < 3; i++) {
      await clock.advance(15_000)
      push.push(frame(heartbeat))
      await until(() => seen.length === 3 + i && clock.pendingSleeps > 0, 'a heartbeat')
    }
    await clock.advance(15_000)
    const error = await done
    expect(error).toBeInstanceOf(IdleStreamError)
    expect((error as Error).message).toContain('60000 ms')
  })

  it('§2 deadline idle window: each session event refreshes it', async () => {
    const push = pushSse()
    connections(() => push.response)
    const clock = new ManualClock()
    const { seen, done } = run({ clock, idleStreamTimeoutMs: 10_000 })
    push.push(frame(connected))
    for (let i = 0; i < 5; i++) {
      push.push(frame(delta(`${i}`)))
      await until(() => seen.length === 2 + i && clock.pendingSleeps > 0, 'a delta')
      await clock.advance(9_000)
    }
    push.push(frame(idle()))
    expect(await done).toBeUndefined()
  })

  it('§2 deadline idle window is suspended while reply.promptBlocked (and waiting stays event-driven, no busy loop)', async () => {
    const push = pushSse()
    connections(() => push.response)
    const clock = new ManualClock()
    const reply = { promptBlocked: true }
    const { seen, done } = run({
      clock,
      idleStreamTimeoutMs: 1_000,
      timeoutMs: 1_000_000,
      readTimeoutMs: 1_000_000,
      reply,
    })
    push.push(frame(connected) + frame(busy()))
    await until(() => seen.length === 2 && clock.pendingSleeps > 0, 'the stream waiting')
    await clock.advance(5_000)
    await until(() => clock.pendingSleeps > 0, 'the stream waiting again')
    expect(await Promise.race([done, Promise.resolve('still running')])).toBe('still running')
    // Unblocked: the next wake-up (a heartbeat here) finds the window long past.
    reply.promptBlocked = false
    push.push(frame(heartbeat))
    expect(await done).toBeInstanceOf(IdleStreamError)
  })

  it('§2 deadline idle window is off by default (heartbeats alone never end the stream before the overall deadline)', async () => {
    connections(() => openSse([frame(connected), frame(busy())]))
    const clock = new ManualClock()
    const { done } = run({ clock, timeoutMs: 100_000, readTimeoutMs: 1_000_000 })
    await until(() => clock.pendingSleeps > 0, 'the stream waiting')
    await clock.advance(99_999)
    expect(await Promise.race([done, Promise.resolve('still running')])).toBe('still running')
    await clock.advance(1)
    expect(await done).toBeInstanceOf(TimeoutError)
  })

  it('§2 deadlines are checked before each reconnect: a deadline that passes while reconnecting ends the stream', async () => {
    let count = 0
    const clock = new ManualClock()
    const fetch = async () => {
      count++
      if (count > 1) await clock.advance(2_000) // each failed connect attempt costs time
      if (count > 1) throw new TypeError('fetch failed')
      return sse([frame(connected), frame(busy())])
    }
    const error = await run({ clock, fetch, timeoutMs: 5_000 }).done
    expect(error).toBeInstanceOf(TimeoutError)
    expect(count).toBeGreaterThan(1)
  })
})

describe('Client.events: reconnects (wire-client §2)', () => {
  it('§2 reconnect: a clean end of the body without idle reconnects after 100 ms on the clock', async () => {
    const state = connections(
      () => sse([frame(connected), frame(delta('a'))]),
      () => sse([frame(connected), frame(delta('b')), frame(idle())]),
    )
    const clock = new ManualClock()
    const { done } = run({ clock, reconnectDelayMs: undefined })
    await until(() => state.count === 1 && clock.pendingSleeps > 0, 'the reconnect delay')
    await clock.advance(99)
    expect(state.count).toBe(1)
    await clock.advance(1)
    expect(await done).toBeUndefined()
    expect(state.count).toBe(2)
  })

  it('§2 reconnect: the 100 ms delay is capped by the remaining deadline', async () => {
    connections(() => sse([frame(connected), frame(busy())]))
    const clock = new ManualClock()
    const { done } = run({ clock, reconnectDelayMs: 100, timeoutMs: 50 })
    await until(() => clock.pendingSleeps > 0, 'the reconnect delay')
    await clock.advance(50)
    expect(await done).toBeInstanceOf(TimeoutError)
  })

  it('§2 reconnect: transport errors (refused, reset) reconnect until terminal', async () => {
    let count = 0
    let pulls = 0
    const fetch = async () => {
      count++
      if (count === 2 || count === 3) throw new TypeError('fetch failed: ECONNREFUSED')
      if (count === 1)
        return new Response(
          new ReadableStream({
            async pull(c) {
              // The bytes that arrived before the reset are kept; then the connection resets.
              if (pulls++ === 0)
                return c.enqueue(new TextEncoder().encode(frame(connected) + frame(delta('a'))))
              await until(() => reply.parts.length > 0, 'the first delta')
              c.error(new Error('ECONNRESET'))
            },
          }),
        )
      return sse([frame(connected), frame(delta('b')), frame(idle())])
    }
    const reply = new Reply()
    const onSubscribed = vi.fn(() => true)
    await followSession(
      new Client({ api: 'v1', baseUrl: BASE, fetch }),
      { sessionId: 'ses_1', reconnectDelayMs: 0, onSubscribed },
      (e) => reply.apply(e),
    )
    expect(count).toBe(4)
    expect(onSubscribed).toHaveBeenCalledOnce()
    expect(reply.result.fullText).toBe('ab')
  })

  it('§2 reconnect mid-message: a frame cut by a dropped connection is discarded, the next connection continues', async () => {
    connections(
      () =>
        sse([
          frame(connected),
          frame(delta('Hel')),
          'data: {"type":"message.part.delta","properties":{"sess',
        ]),
      () => sse([frame(connected), frame(delta('lo')), frame(idle())]),
    )
    const reply = new Reply()
    await followSession(
      new Client({ api: 'v1', baseUrl: BASE }),
      { sessionId: 'ses_1', reconnectDelayMs: 0 },
      (e) => reply.apply(e),
    )
    expect(reply.result.fullText).toBe('Hello')
  })

  it('§2 read timeout (30 s per connection): a silent connection is reopened', async () => {
    const state = connections(
      () => openSse([frame(connected), frame(delta('a'))]),
      () => sse([frame(connected), frame(delta('b')), frame(idle())]),
    )
    const clock = new ManualClock()
    const reply = new Reply()
    const done = settle(
      followSession(
        new Client({ api: 'v1', baseUrl: BASE, clock }),
        { sessionId: 'ses_1', reconnectDelayMs: 0 },
        (e) => reply.apply(e),
      ),
    )
    await until(() => reply.parts.length === 1 && clock.pendingSleeps > 0, 'the first delta')
    await clock.advance(29_999)
    expect(state.count).toBe(1)
    await clock.advance(1)
    expect(await done).toBeUndefined()
    expect(state.count).toBe(2)
    expect(reply.result.fullText).toBe('ab')
  })

  it('§2 connect timeout (10 s): a connection whose response never comes is retried', async () => {
    let count = 0
    const clock = new ManualClock()
    const fetch = (_url: RequestInfo | URL, init?: RequestInit) => {
      count++
      if (count === 1)
        return new Promise<Response>((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        )
      return Promise.resolve(sse([frame(connected), frame(idle())]))
    }
    const { done } = run({ clock, fetch })
    await until(() => count === 1 && clock.pendingSleeps > 0, 'the connect attempt')
    await clock.advance(9_999)
    expect(count).toBe(1)
    await clock.advance(1)
    expect(await done).toBeUndefined()
    expect(count).toBe(2)
  })
})

describe('Client.events: aborts (wire-client §2)', () => {
  it('§2 abort: an already-aborted signal → AbortError without connecting', async () => {
    const state = connections(() => sse([frame(connected), frame(idle())]))
    const controller = new AbortController()
    controller.abort()
    expect(await run({ signal: controller.signal }).done).toBeInstanceOf(AbortError)
    expect(state.count).toBe(0)
  })

  it('§2 abort: while connecting → AbortError', async () => {
    let started = false
    const fetch = (_url: RequestInfo | URL, init?: RequestInit) => {
      started = true
      return new Promise<Response>((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      )
    }
    const controller = new AbortController()
    const { done } = run({ fetch, signal: controller.signal })
    await until(() => started, 'the connect')
    controller.abort()
    expect(await done).toBeInstanceOf(AbortError)
  })

  it('§2 abort: mid-stream while reading → AbortError (even if the transport ignores the signal)', async () => {
    const controller = new AbortController()
    const fetch = async () => openSse([frame(connected), frame(delta('a'))]) // not tied to the signal
    const { seen, done } = run({ fetch, signal: controller.signal })
    await until(() => seen.length === 2, 'the delta')
    controller.abort(new Error('user closed the tab'))
    const error = await done
    expect(error).toBeInstanceOf(AbortError)
    expect((error as AbortError).cause).toEqual(new Error('user closed the tab'))
  })

  it('§2 abort: during the reconnect delay → AbortError, no second connection', async () => {
    const state = connections(() => sse([frame(connected), frame(busy())]))
    const clock = new ManualClock()
    const controller = new AbortController()
    const { done } = run({ clock, signal: controller.signal, reconnectDelayMs: 100 })
    await until(() => state.count === 1 && clock.pendingSleeps > 0, 'the reconnect delay')
    controller.abort()
    expect(await done).toBeInstanceOf(AbortError)
    expect(state.count).toBe(1)
  })

  it('§2 abort: inside onSubscribed → the stream ends with AbortError right after it returns', async () => {
    connections(() => openSse([frame(connected), frame(busy())]))
    const controller = new AbortController()
    const { seen, done } = run({
      signal: controller.signal,
      onSubscribed: () => {
        controller.abort()
        return true
      },
    })
    expect(await done).toBeInstanceOf(AbortError)
    expect(seen.length).toBeLessThanOrEqual(2)
  })
})

describe('Client.events: hostile input (wire-client §2, design.md defect 7)', () => {
  it('§2 malformed JSON in a frame: skipped, reported through onError and onMalformedFrame; the stream continues', async () => {
    connections(() =>
      sse([
        frame(connected),
        frame('{"type": "message.part.delta", oops'),
        frame(delta('ok')),
        frame(idle()),
      ]),
    )
    const reports: Array<[unknown, unknown]> = []
    const malformed: MalformedFrame[] = []
    const reply = new Reply()
    await followSession(
      new Client({
        api: 'v1',
        baseUrl: BASE,
        onError: (error, context) => reports.push([error, context]),
        onMalformedFrame: (f) => malformed.push(f),
      }),
      { sessionId: 'ses_1' },
      (e) => reply.apply(e),
    )
    expect(reply.result.fullText).toBe('ok')
    expect(reports).toHaveLength(1)
    expect(reports[0]?.[0]).toBeInstanceOf(ServerError)
    expect(reports[0]?.[1]).toMatchObject({ handled: true, feature: 'opencode.stream', sessionId: 'ses_1' })
    expect(malformed).toEqual([
      { data: '{"type": "message.part.delta", oops', error: expect.any(SyntaxError), sessionId: 'ses_1' },
    ])
  })

  it('§2 malformed frame: valid JSON that is not an event object is skipped and reported too', async () => {
    connections(() => sse([frame(connected), frame('[1,2]'), frame('"text"'), frame(idle())]))
    const malformed: string[] = []
    const { seen, done } = run(
      {},
      new Client({ api: 'v1', baseUrl: BASE, onMalformedFrame: (f) => malformed.push(f.data) }),
    )
    await done
    expect(malformed).toEqual(['[1,2]', '"text"'])
    expect(seen).toEqual(['server.connected', 'session.status'])
  })

  it('§2 malformed frame: a throwing onMalformedFrame hook is reported and does not break the stream', async () => {
    connections(() => sse([frame(connected), frame('nope'), frame(idle())]))
    const reports: unknown[] = []
    const hookError = new Error('hook broke')
    const { done } = run(
      {},
      new Client({
        api: 'v1',
        baseUrl: BASE,
        onError: (error) => reports.push(error),
        onMalformedFrame: () => {
          throw hookError
        },
      }),
    )
    expect(await done).toBeUndefined()
    expect(reports).toContain(hookError)
  })

  it('§2 a frame over the cap (maxFrameSize) → FrameTooLargeError, a ServerError; not reconnected', async () => {
    const state = connections(() => sse([frame(connected), `data: ${'z'.repeat(2_000)}\n\n`]))
    const error = await run({}, new Client({ api: 'v1', baseUrl: BASE, maxFrameSize: 1_000 })).done
    expect(error).toBeInstanceOf(FrameTooLargeError)
    expect(error).toBeInstanceOf(ServerError)
    expect(state.count).toBe(1)
  })

  it('defect 7: a 5 MiB tool output in one frame streams through the client (Ruby died over 1 MiB)', async () => {
    const output = 'x'.repeat(5 * 1024 * 1024)
    const tool = {
      type: 'message.part.updated',
      properties: {
        sessionID: 'ses_1',
        part: {
          id: 'prt_t',
          sessionID: 'ses_1',
          messageID: 'msg_a',
          type: 'tool',
          tool: 'bash',
          callID: 'c1',
          state: { status: 'completed', output },
        },
      },
    }
    const text = frame(tool)
    const chunks = [frame(connected)]
    for (let i = 0; i < text.length; i += 64 * 1024) chunks.push(text.slice(i, i + 64 * 1024))
    chunks.push(frame(idle()))
    connections(() => sse(chunks))
    const reply = new Reply()
    await followSession(new Client({ api: 'v1', baseUrl: BASE }), { sessionId: 'ses_1' }, (e) =>
      reply.apply(e),
    )
    expect(reply.result.toolParts[0]?.output).toHaveLength(output.length)
  })
})
