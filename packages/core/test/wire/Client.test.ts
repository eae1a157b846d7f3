import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  AbortError,
  Client,
  ConnectionError,
  type OpencodeEvent,
  ServerError,
  SessionNotFoundError,
  TimeoutError,
} from '../../src/index.js'
import { ManualClock } from '../../src/testing/ManualClock.js'
import { BadRequestError, FrameTooLargeError, Reply, StaleSessionError } from '../../src/wire/index.js'
import { followSession } from './sse.js'

const BASE = 'http://opencode.test'
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  server.resetHandlers()
})
afterAll(() => server.close())

const frame = (event: unknown) => `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`
const connected = { type: 'server.connected', properties: {} }
const idle = (sessionID: string) => ({
  type: 'session.status',
  properties: { sessionID, status: { type: 'idle' } },
})
const delta = (sessionID: string, text: string) => ({
  type: 'message.part.delta',
  properties: { sessionID, messageID: 'msg_a', partID: 'prt_1', field: 'text', delta: text },
})

/** An SSE response whose frames are pushed from a list of chunks, optionally ending without idle. */
const sse = (chunks: string[]) =>
  new HttpResponse(
    new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
        controller.close()
      },
    }),
    { headers: { 'content-type': 'text/event-stream' } },
  )

describe('Client (wire-client §1)', () => {
  it('createSession: POST /session with permission/parentID/model mapped and undefined fields dropped', async () => {
    let body: unknown
    server.use(
      http.post(`${BASE}/session`, async ({ request }) => {
        body = await request.json()
        return HttpResponse.json({ id: 'ses_1' })
      }),
    )
    const client = new Client({ api: 'v1', baseUrl: BASE })
    const session = await client.createSession({
      title: 'T',
      permissions: [{ permission: '*', pattern: '*', action: 'deny' }],
      parentId: 'ses_p',
      model: 'fake/fake-model',
    })
    expect(session.id).toBe('ses_1')
    expect(body).toEqual({
      title: 'T',
      permission: [{ permission: '*', pattern: '*', action: 'deny' }],
      parentID: 'ses_p',
      model: { providerID: 'fake', id: 'fake-model' },
    })
  })

  it('prompt: POST prompt_async with text parts, agent and system; 204 → resolves', async () => {
    let body: unknown
    server.use(
      http.post(`${BASE}/session/ses_1/prompt_async`, async ({ request }) => {
        body = await request.json()
        return new HttpResponse(null, { status: 204 })
      }),
    )
    await new Client({ api: 'v1', baseUrl: BASE }).prompt('ses_1', {
      text: 'hi',
      agent: 'build',
      system: 'be brief',
    })
    expect(body).toEqual({ parts: [{ type: 'text', text: 'hi' }], agent: 'build', system: 'be brief' })
  })

  it('directory and workspace are query parameters on scoped requests, not on /global/health', async () => {
    const urls: string[] = []
    server.use(
      http.get(`${BASE}/session`, ({ request }) => {
        urls.push(request.url)
        return HttpResponse.json([])
      }),
      http.get(`${BASE}/global/health`, ({ request }) => {
        urls.push(request.url)
        return HttpResponse.json({ healthy: true })
      }),
    )
    const client = new Client({ api: 'v1', baseUrl: BASE, directory: '/srv/sandbox', workspace: 'w1' })
    await client.listSessions()
    await client.health()
    expect(urls).toEqual([`${BASE}/session?directory=%2Fsrv%2Fsandbox&workspace=w1`, `${BASE}/global/health`])
  })

  it('password → HTTP basic auth opencode:<password>', async () => {
    let auth: string | null = null
    server.use(
      http.get(`${BASE}/global/health`, ({ request }) => {
        auth = request.headers.get('authorization')
        return HttpResponse.json({ healthy: true })
      }),
    )
    await new Client({ api: 'v1', baseUrl: BASE, password: 's3cret' }).health()
    expect(auth).toBe(`Basic ${btoa('opencode:s3cret')}`)
  })

  it.each([
    [
      404,
      { name: 'NotFoundError', data: { message: 'Session not found: ses_x' } },
      SessionNotFoundError,
      'Session not found: ses_x',
    ],
    [400, { message: 'bad input' }, BadRequestError, 'bad input'],
    [422, {}, BadRequestError, 'Bad request'],
    [500, {}, ServerError, 'Server error'],
    [503, { data: { message: 'overloaded' } }, ServerError, 'overloaded'],
  ])('HTTP %i maps to the typed error with status, body and message', async (status, body, type, message) => {
    server.use(http.get(`${BASE}/session/ses_x`, () => HttpResponse.json(body, { status })))
    const error = await new Client({ api: 'v1', baseUrl: BASE }).getSession('ses_x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(type)
    expect(error).toMatchObject({ status, body, message })
  })

  it('a 2xx with a non-JSON body is a ServerError naming the first 200 characters', async () => {
    server.use(
      http.get(`${BASE}/session`, () => new HttpResponse(`<html>${'x'.repeat(300)}`, { status: 200 })),
    )
    const error = (await new Client({ api: 'v1', baseUrl: BASE })
      .listSessions()
      .catch((e: unknown) => e)) as ServerError
    expect(error).toBeInstanceOf(ServerError)
    expect(error.message).toBe(`Invalid JSON from OpenCode (HTTP 200): <html>${'x'.repeat(194)}`)
  })

  it('a non-2xx with a non-JSON body uses its first 200 characters as the message', async () => {
    server.use(
      http.get(`${BASE}/session`, () => new HttpResponse('upstream gateway exploded', { status: 502 })),
    )
    await expect(new Client({ api: 'v1', baseUrl: BASE }).listSessions()).rejects.toMatchObject({
      name: 'ServerError',
      status: 502,
      message: 'upstream gateway exploded',
    })
  })

  it('connection refused → ConnectionError', async () => {
    const client = new Client({ api: 'v1', baseUrl: 'http://127.0.0.1:1' })
    server.use(http.get('http://127.0.0.1:1/session', () => HttpResponse.error()))
    await expect(client.listSessions()).rejects.toBeInstanceOf(ConnectionError)
  })

  it('a request slower than timeoutMs → TimeoutError', async () => {
    server.use(http.get(`${BASE}/session`, () => new Promise<never>(() => {})))
    await expect(
      new Client({ api: 'v1', baseUrl: BASE, timeoutMs: 20 }).listSessions(),
    ).rejects.toBeInstanceOf(TimeoutError)
  })

  it('an aborted signal → AbortError', async () => {
    server.use(http.get(`${BASE}/session`, () => new Promise<never>(() => {})))
    const controller = new AbortController()
    const pending = new Client({ api: 'v1', baseUrl: BASE }).listSessions({ signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toBeInstanceOf(AbortError)
  })

  it('every request is traced as opencode.request {method, path}', async () => {
    const seen: unknown[] = []
    server.use(http.delete(`${BASE}/session/ses_1`, () => HttpResponse.json(true)))
    await new Client({
      api: 'v1',
      baseUrl: BASE,
      onTrace: (name, payload) => seen.push([`opencode.${name}`, payload]),
    }).deleteSession('ses_1')
    expect(seen.filter((entry) => (entry as [string])[0] === 'opencode.request')).toEqual([
      ['opencode.request', { method: 'DELETE', path: '/session/ses_1' }],
    ])
  })

  it('getMessages tolerates a non-array body; listQuestions turns a non-array into []', async () => {
    server.use(
      http.get(`${BASE}/session/ses_1/message`, () => HttpResponse.json({})),
      http.get(`${BASE}/question`, () => HttpResponse.json({ nope: true })),
    )
    const client = new Client({ api: 'v1', baseUrl: BASE })
    expect(await client.getMessages('ses_1')).toEqual([])
    expect(await client.listQuestions()).toEqual([])
  })
})

describe('Client.events (wire-client §2)', () => {
  it('calls onSubscribed once after server.connected, filters to the session, ends on idle', async () => {
    server.use(
      http.get(`${BASE}/event`, () =>
        sse([
          frame(connected),
          frame(delta('ses_other', 'nope')),
          frame(delta('ses_1', 'Hel')),
          frame(delta('ses_1', 'lo')),
          frame(idle('ses_1')),
        ]),
      ),
    )
    const order: string[] = []
    const reply = new Reply()
    await followSession(
      new Client({ api: 'v1', baseUrl: BASE }),
      {
        sessionId: 'ses_1',
        onSubscribed: () => order.push('subscribed'),
        onActivityTick: (e) => order.push(`tick:${e.type}`),
      },
      (event) => {
        order.push(event.type)
        reply.apply(event)
      },
    )
    expect(order[0]).toBe('subscribed')
    expect(reply.result.fullText).toBe('Hello')
    expect(order.filter((o) => o === 'message.part.delta')).toHaveLength(2)
  })

  it('legacy session.idle is terminal too', async () => {
    server.use(
      http.get(`${BASE}/event`, () =>
        sse([frame(connected), frame({ type: 'session.idle', properties: { sessionID: 'ses_1' } })]),
      ),
    )
    const events: string[] = []
    await followSession(new Client({ api: 'v1', baseUrl: BASE }), { sessionId: 'ses_1' }, (e) => {
      events.push(e.type)
    })
    expect(events).toEqual(['server.connected', 'session.idle'])
  })

  it('reconnects when the stream ends without idle, and never calls onSubscribed again (prompt sent once)', async () => {
    let connections = 0
    server.use(
      http.get(`${BASE}/event`, () => {
        connections++
        return connections === 1
          ? sse([frame(connected), frame(delta('ses_1', 'part one, '))])
          : sse([frame(connected), frame(delta('ses_1', 'part two')), frame(idle('ses_1'))])
      }),
    )
    const onSubscribed = vi.fn(() => true)
    const reply = new Reply()
    await followSession(
      new Client({ api: 'v1', baseUrl: BASE }),
      { sessionId: 'ses_1', onSubscribed, reconnectDelayMs: 0 },
      (e) => reply.apply(e),
    )
    expect(connections).toBe(2)
    expect(onSubscribed).toHaveBeenCalledTimes(1)
    expect(reply.result.fullText).toBe('part one, part two')
  })

  it('reconnects after a transport error mid-message', async () => {
    let connections = 0
    let sawFirstDelta!: () => void
    const firstDeltaSeen = new Promise<void>((resolve) => {
      sawFirstDelta = resolve
    })
    server.use(
      http.get(`${BASE}/event`, () => {
        connections++
        if (connections === 1) {
          let pulls = 0
          return new HttpResponse(
            new ReadableStream<Uint8Array>({
              async pull(controller) {
                // Half a message arrives; once the client has handled it, the connection resets.
                if (pulls++ === 0) {
                  controller.enqueue(
                    new TextEncoder().encode(
                      `${frame(connected) + frame(delta('ses_1', 'a'))}data: {"type":"mess`,
                    ),
                  )
                } else {
                  await firstDeltaSeen
                  controller.error(new Error('connection reset'))
                }
              },
            }),
            { headers: { 'content-type': 'text/event-stream' } },
          )
        }
        return sse([frame(connected), frame(delta('ses_1', 'b')), frame(idle('ses_1'))])
      }),
    )
    const reply = new Reply()
    await followSession(
      new Client({ api: 'v1', baseUrl: BASE }),
      { sessionId: 'ses_1', reconnectDelayMs: 0 },
      (e) => {
        reply.apply(e)
        if (e.type === 'message.part.delta') sawFirstDelta()
      },
    )
    expect(connections).toBe(2)
    expect(reply.result.fullText).toBe('ab')
  })

  it('a malformed JSON frame is skipped and reported; the stream continues', async () => {
    server.use(
      http.get(`${BASE}/event`, () =>
        sse([frame(connected), frame('{not json'), frame(delta('ses_1', 'ok')), frame(idle('ses_1'))]),
      ),
    )
    const reports: unknown[] = []
    const reply = new Reply()
    await followSession(
      new Client({ api: 'v1', baseUrl: BASE, onError: (error) => reports.push(error) }),
      { sessionId: 'ses_1' },
      (e) => reply.apply(e),
    )
    expect(reply.result.fullText).toBe('ok')
    expect(reports).toHaveLength(1)
    expect(reports[0]).toBeInstanceOf(ServerError)
  })

  it('a frame over the cap fails the stream with FrameTooLargeError', async () => {
    server.use(http.get(`${BASE}/event`, () => sse([frame(connected), `data: ${'z'.repeat(5000)}\n\n`])))
    await expect(
      followSession(
        new Client({ api: 'v1', baseUrl: BASE, maxFrameSize: 1000 }),
        { sessionId: 'ses_1' },
        () => {},
      ),
    ).rejects.toBeInstanceOf(FrameTooLargeError)
  })

  it('a non-2xx event stream → ServerError (not retried)', async () => {
    server.use(http.get(`${BASE}/event`, () => new HttpResponse('nope', { status: 503 })))
    await expect(
      followSession(new Client({ api: 'v1', baseUrl: BASE }), { sessionId: 'ses_1' }, () => {}),
    ).rejects.toBeInstanceOf(ServerError)
  })

  it('an exception from onSubscribed propagates unchanged (never treated as a transport error)', async () => {
    server.use(http.get(`${BASE}/event`, () => sse([frame(connected)])))
    const boom = new SessionNotFoundError('gone')
    await expect(
      followSession(
        new Client({ api: 'v1', baseUrl: BASE }),
        {
          sessionId: 'ses_1',
          onSubscribed: () => {
            throw boom
          },
        },
        () => {},
      ),
    ).rejects.toBe(boom)
  })

  it('an exception from the event callback propagates unchanged', async () => {
    server.use(http.get(`${BASE}/event`, () => sse([frame(connected), frame(delta('ses_1', 'x'))])))
    const boom = new Error('callback failed')
    await expect(
      followSession(new Client({ api: 'v1', baseUrl: BASE }), { sessionId: 'ses_1' }, (e) => {
        if (e.type === 'message.part.delta') throw boom
      }),
    ).rejects.toBe(boom)
  })

  /** A stream that stays open after the given frames; the test drives time with a ManualClock. */
  const openStream = (frames: string[]) => {
    server.use(
      http.get(
        `${BASE}/event`,
        () =>
          new HttpResponse(
            new ReadableStream({
              start(controller) {
                for (const f of frames) controller.enqueue(new TextEncoder().encode(f))
              },
            }),
            { headers: { 'content-type': 'text/event-stream' } },
          ),
      ),
    )
  }
  const waitUntilSleeping = async (clock: ManualClock) => {
    for (let i = 0; i < 200 && clock.pendingSleeps === 0; i++) await new Promise((r) => setTimeout(r, 1))
  }
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 1))
    expect(condition()).toBe(true)
  }

  it('no session event before firstEventTimeoutMs → StaleSessionError (manual clock, no real waiting)', async () => {
    openStream([frame(connected), frame({ type: 'server.heartbeat', properties: {} })])
    const clock = new ManualClock()
    const stream = followSession(
      new Client({ api: 'v1', baseUrl: BASE, clock }),
      { sessionId: 'ses_1', firstEventTimeoutMs: 5_000 },
      () => {},
    )
    const outcome = stream.catch((e: unknown) => e)
    await waitUntilSleeping(clock)
    await clock.advance(5_000)
    expect(await outcome).toBeInstanceOf(StaleSessionError)
  })

  it('the overall deadline → TimeoutError, but it is suspended while a prompt is pending', async () => {
    const ask = {
      type: 'permission.asked',
      properties: { id: 'per_1', sessionID: 'ses_1', permission: 'bash' },
    }
    openStream([frame(connected), frame(ask)])
    const clock = new ManualClock()
    const reply = new Reply({ clock })
    const stream = followSession(
      new Client({ api: 'v1', baseUrl: BASE, clock }),
      { sessionId: 'ses_1', timeoutMs: 1_000, reply },
      (e) => reply.apply(e),
    )
    const outcome = stream.catch((e: unknown) => e)
    await until(() => reply.promptBlocked)
    await clock.advance(1_000) // blocked: the deadline moves instead of firing
    await waitUntilSleeping(clock)
    reply.apply({
      type: 'permission.replied',
      properties: { sessionID: 'ses_1', requestID: 'per_1', reply: 'once' },
    })
    await clock.advance(1_000)
    expect(await outcome).toBeInstanceOf(TimeoutError)
  })

  it('aborting the signal ends the stream with AbortError', async () => {
    openStream([frame(connected)])
    const controller = new AbortController()
    const stream = followSession(
      new Client({ api: 'v1', baseUrl: BASE }),
      { sessionId: 'ses_1', signal: controller.signal },
      () => {},
    )
    const outcome = stream.catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, 5))
    controller.abort()
    expect(await outcome).toBeInstanceOf(AbortError)
  })

  it('stream(): subscribes, prompts once, and returns the merged final result', async () => {
    let prompts = 0
    server.use(
      http.get(`${BASE}/event`, () =>
        sse([frame(connected), frame(delta('ses_1', 'Hi')), frame(idle('ses_1'))]),
      ),
      http.post(`${BASE}/session/ses_1/prompt_async`, () => {
        prompts++
        return new HttpResponse(null, { status: 204 })
      }),
      http.get(`${BASE}/session/ses_1/message`, () =>
        HttpResponse.json([
          { info: { role: 'user' }, parts: [{ type: 'text', text: 'hello' }] },
          { info: { role: 'assistant' }, parts: [{ type: 'text', text: 'Hi there' }] },
        ]),
      ),
    )
    const deltas: string[] = []
    const result = await new Client({ api: 'v1', baseUrl: BASE }).stream('ses_1', 'hello', {}, ({ delta }) =>
      deltas.push(delta),
    )
    expect(prompts).toBe(1)
    expect(deltas).toEqual(['Hi'])
    expect(result.fullText).toBe('Hi there')
  })

  it('ignores unknown event types without breaking', async () => {
    const weird: OpencodeEvent = { type: 'plugin.added', properties: { id: 'x' } }
    server.use(
      http.get(`${BASE}/event`, () =>
        sse([frame(connected), frame(weird), frame(delta('ses_1', 'ok')), frame(idle('ses_1'))]),
      ),
    )
    const reply = new Reply()
    await followSession(new Client({ api: 'v1', baseUrl: BASE }), { sessionId: 'ses_1' }, (e) =>
      reply.apply(e),
    )
    expect(reply.result.fullText).toBe('ok')
  })
})
