// Issue 15, items 1–12: the wire-layer defects an outside audit found. One regression test (or a
// few) per item; each failed on the code before its fix.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  AbortError,
  Client,
  InvalidArgumentError,
  OpencodeError,
  type OpencodeEvent,
  SessionNotFoundError,
} from '../../src/index.js'
import { systemClock } from '../../src/support/Clock.js'
import { type OpencodeMessage, Reply, type ReplyPart, type ToolPartRecord } from '../../src/wire/index.js'
import { mergeFinalExchange } from '../../src/wire/mergeFinalExchange.js'
import { BASE, busy, connected, delta, frame, idle, openSse, settle, sse, until } from './sse.js'

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
const textPart = (id: string, text: string, messageID = 'msg_a') =>
  ev('message.part.updated', { part: { id, sessionID: S, messageID, type: 'text', text } })
const toolUpdate = (id: string, state: Record<string, unknown>, tool = 'bash') =>
  ev('message.part.updated', {
    part: { id, sessionID: S, messageID: 'msg_a', type: 'tool', tool, callID: `call_${id}`, state },
  })
const todos = ev('todo.updated', { todos: [{ id: 't1', content: 'Draft', status: 'in-progress' }] })
const userMessage = (text: string): OpencodeMessage => ({
  info: { id: 'msg_u', sessionID: S, role: 'user' },
  parts: [{ id: 'prt_u', type: 'text', text }],
})
const assistantMessage = (parts: OpencodeMessage['parts']): OpencodeMessage => ({
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

describe('issue 15 #2 and #10: the final merge never throws away what was streamed', () => {
  const chunks = [
    frame(connected),
    frame(assistant()),
    frame(textPart('prt_t', '')),
    frame(delta('Hello', S, 'prt_t')),
    frame(delta(' world', S, 'prt_t')),
    frame(todos),
    frame(idle()),
  ]

  it.each([
    ['an empty list', [] as OpencodeMessage[]],
    ['only the user message', [userMessage('hi')]],
    ['an assistant message without parts yet (a slow save)', [userMessage('hi'), assistantMessage([])]],
  ])('#2 a todo was streamed and the final poll has %s: the streamed text stands', async (_what, polled) => {
    serveTurn(chunks, () => HttpResponse.json(polled))
    const result = await new Client({ api: 'v1', baseUrl: BASE }).stream(S, 'hi')
    expect(result.fullText).toBe('Hello world')
    expect(result.parts.map((p) => p.type)).toEqual(['text', 'tool'])
  })

  it('#10 a two-step tool loop whose last step is not in the poll yet keeps the final answer already streamed', () => {
    const streamed: ReplyPart[] = [
      { type: 'tool', tool: 'bash', status: 'completed', output: 'step1' } as ToolPartRecord,
      { type: 'text', content: 'The final answer.' },
    ]
    const messages = [
      userMessage('go'),
      assistantMessage([
        {
          id: 'prt_b',
          type: 'tool',
          tool: 'bash',
          callID: 'c1',
          state: { status: 'completed', output: 'step1 (saved)' },
        },
      ]),
    ]
    expect(mergeFinalExchange(streamed, messages)).toEqual([
      { type: 'tool', tool: 'bash', status: 'completed', output: 'step1 (saved)' },
      { type: 'text', content: 'The final answer.' },
    ])
  })
})

describe('issue 15 #3: a base URL with a path and a query string', () => {
  it('keeps the base path prefix and the base query on REST calls and on /event, and appends directory/workspace', async () => {
    const urls: string[] = []
    server.use(
      http.get(`${BASE}/proxy/opencode/session/${S}/message`, ({ request }) => {
        urls.push(request.url)
        return HttpResponse.json([])
      }),
      http.get(`${BASE}/proxy/opencode/event`, ({ request }) => {
        urls.push(request.url)
        return sse([frame(connected), frame(idle())])
      }),
    )
    const client = new Client({
      api: 'v1',
      baseUrl: `${BASE}/proxy/opencode/?token=abc`,
      directory: '/srv/a',
    })
    await client.getMessages(S)
    await collect(client.events(S))
    expect(urls).toEqual([
      `${BASE}/proxy/opencode/session/${S}/message?token=abc&directory=%2Fsrv%2Fa`,
      `${BASE}/proxy/opencode/event?token=abc&directory=%2Fsrv%2Fa`,
    ])
  })
})

describe('issue 15 #4: tool-state merge keeps good values', () => {
  it('a later update with blank title, input, output, error and metadata overwrites nothing', () => {
    const reply = new Reply()
    reply.apply(
      toolUpdate('prt_1', {
        status: 'running',
        title: 'List files',
        input: { command: 'ls' },
        metadata: { cwd: '/p' },
      }),
    )
    reply.apply(
      toolUpdate('prt_1', {
        status: 'completed',
        title: null,
        input: {},
        output: null,
        error: null,
        metadata: {},
      }),
    )
    expect(reply.parts[0]).toEqual({
      type: 'tool',
      tool: 'bash',
      status: 'completed',
      title: 'List files',
      input: { command: 'ls' },
      metadata: { cwd: '/p' },
      callID: 'call_prt_1',
      messageID: 'msg_a',
    })
  })
})

describe('issue 15 #5: a delta that does not match its part’s kind', () => {
  it('a text delta addressed to a tool part’s id is ignored and reported; the tool record gets no content', () => {
    const reports: unknown[] = []
    const reply = new Reply({ onError: (_error, context) => reports.push(context) })
    reply.apply(toolUpdate('prt_1', { status: 'running', input: { command: 'ls' } }))
    reply.apply(
      ev('message.part.delta', { messageID: 'msg_a', partID: 'prt_1', field: 'text', delta: 'oops' }),
    )
    expect(reply.parts[0]).not.toHaveProperty('content')
    expect(reply.result.fullText).toBe('')
    expect(reports).toEqual([expect.objectContaining({ feature: 'opencode.reply', partId: 'prt_1' })])
  })
})

describe('issue 15 #7: configuration errors are typed', () => {
  it.each(['localhost:4096', 'not a url', 'ftp://host/x', ''])(
    'base URL %j → InvalidArgumentError in the constructor',
    (baseUrl) => {
      expect(() => new Client({ api: 'v1', baseUrl })).toThrow(InvalidArgumentError)
    },
  )

  it.each([
    ['Latin-1', 'pässwörd'],
    ['outside Latin-1', '密码🔑'],
  ])('a %s password is sent as UTF-8 basic auth', async (_what, password) => {
    let header: string | null = null
    server.use(
      http.get(`${BASE}/session`, ({ request }) => {
        header = request.headers.get('authorization')
        return HttpResponse.json([])
      }),
    )
    await new Client({ api: 'v1', baseUrl: BASE, password }).listSessions()
    expect(header).toBe(`Basic ${Buffer.from(`opencode:${password}`, 'utf8').toString('base64')}`)
  })
})

describe('issue 15 #8: huge or infinite timeouts', () => {
  it('the system clock never fires a sleep of Infinity or of more than 2^31−1 ms early (Node would fire it after 1 ms)', async () => {
    const fired: string[] = []
    const controller = new AbortController()
    void systemClock.sleep(Number.POSITIVE_INFINITY, controller.signal).then(
      () => fired.push('infinity'),
      () => {},
    )
    void systemClock.sleep(2 ** 31 + 5, controller.signal).then(
      () => fired.push('2^31'),
      () => {},
    )
    await new Promise((resolve) => setTimeout(resolve, 30))
    controller.abort()
    expect(fired).toEqual([])
  })

  it('timeoutMs: Infinity means no request deadline', async () => {
    server.use(
      http.get(`${BASE}/session`, async () => {
        await new Promise((resolve) => setTimeout(resolve, 20))
        return HttpResponse.json([])
      }),
    )
    expect(
      await new Client({ api: 'v1', baseUrl: BASE, timeoutMs: Number.POSITIVE_INFINITY }).listSessions(),
    ).toEqual([])
  })

  it('Infinity deadlines on a quiet stream: no wake-up storm', async () => {
    server.use(http.get(`${BASE}/event`, () => openSse([frame(connected), frame(busy())])))
    const timers = vi.spyOn(globalThis, 'setTimeout')
    const controller = new AbortController()
    const seen: string[] = []
    const done = settle(
      (async () => {
        for await (const event of new Client({ api: 'v1', baseUrl: BASE }).events(S, {
          signal: controller.signal,
          deadlines: {
            overallMs: Number.POSITIVE_INFINITY,
            firstEventMs: Number.POSITIVE_INFINITY,
            readMs: Number.POSITIVE_INFINITY,
          },
        }))
          seen.push(event.type)
      })(),
    )
    await until(() => seen.length === 2, 'the events')
    const before = timers.mock.calls.length
    await new Promise((resolve) => setTimeout(resolve, 50))
    const during = timers.mock.calls.length - before
    controller.abort()
    expect(await done).toBeInstanceOf(AbortError)
    expect(during).toBeLessThan(5) // the old code armed ~40 one-millisecond timers here
  })
})

describe('issue 15 #9: a trace hook never changes a call’s result', () => {
  it('a hook that returns a value, throws or rejects leaves the result (and a 404) as they are', async () => {
    server.use(
      http.delete(`${BASE}/session/${S}`, () => HttpResponse.json(true)),
      http.get(`${BASE}/session/ses_nope`, () =>
        HttpResponse.json(
          { name: 'NotFoundError', data: { message: 'Session not found: ses_nope' } },
          { status: 404 },
        ),
      ),
    )
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      const returning = new Client({ api: 'v1', baseUrl: BASE, onTrace: () => 'replaced', onError: () => {} })
      expect(await returning.deleteSession(S)).toBe(true)
      const throwing = new Client({
        api: 'v1',
        baseUrl: BASE,
        onError: () => {},
        onTrace: () => {
          throw new Error('tracer broke')
        },
      })
      expect(await throwing.deleteSession(S)).toBe(true)
      const rejecting = new Client({
        api: 'v1',
        baseUrl: BASE,
        onError: () => {},
        onTrace: async () => Promise.reject(new Error('no')),
      })
      await expect(rejecting.getSession('ses_nope')).rejects.toBeInstanceOf(SessionNotFoundError)
      await new Promise((resolve) => setTimeout(resolve, 5))
      expect(unhandled).not.toHaveBeenCalled()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })
})

describe('issue 15 #11: smaller differences from the reference', () => {
  it('a bare-string "idle" session status ends the stream', async () => {
    server.use(
      http.get(`${BASE}/event`, () =>
        sse([frame(connected), frame(ev('session.status', { status: 'idle' })), frame(delta('after'))]),
      ),
    )
    const seen = await collect(new Client({ api: 'v1', baseUrl: BASE }).events(S))
    expect(seen.map((e) => e.type)).toEqual(['server.connected', 'session.status'])
  })

  it('todo.updated without a todos array creates no empty todo part', () => {
    const reply = new Reply()
    reply.apply(ev('todo.updated', {}))
    reply.apply(ev('todo.updated', { todos: 'nope' }))
    expect(reply.parts).toEqual([])
  })

  it('question.replied (and .rejected, permission.replied) without a request id is ignored', () => {
    const replied = vi.fn()
    const reply = new Reply()
    reply.addObserver({ questionReplied: replied, questionRejected: replied, permissionReplied: replied })
    reply.apply(ev('question.replied', { answers: [['yes']] }))
    reply.apply(ev('question.rejected', {}))
    reply.apply(ev('permission.replied', { reply: 'once' }))
    expect(replied).not.toHaveBeenCalled()
  })

  it('a 3xx that was not followed reports "Unexpected response: 304"', async () => {
    server.use(http.get(`${BASE}/session`, () => new HttpResponse(null, { status: 304 })))
    const error = await settle(new Client({ api: 'v1', baseUrl: BASE }).listSessions())
    expect(error).toBeInstanceOf(OpencodeError)
    expect(error).toMatchObject({ status: 304, message: 'GET /session: Unexpected response: 304' })
  })

  it('a JSON-string 4xx body becomes the error message', async () => {
    server.use(http.get(`${BASE}/session`, () => HttpResponse.json('Invalid session id', { status: 400 })))
    expect(await settle(new Client({ api: 'v1', baseUrl: BASE }).listSessions())).toMatchObject({
      code: 'bad_request',
      message: 'Invalid session id',
    })
  })

  it('empty text parts do not double the separators', () => {
    const reply = new Reply()
    reply.apply(textPart('prt_1', 'one'))
    reply.apply(
      ev('message.part.updated', {
        part: { id: 'prt_2', sessionID: S, messageID: 'msg_a', type: 'text', text: '' },
      }),
    )
    reply.apply(ev('message.part.delta', { messageID: 'msg_a', partID: 'prt_3', field: 'text', delta: ' ' }))
    reply.apply(textPart('prt_4', 'two'))
    expect(Reply.distill([...reply.parts, { type: 'text', content: '' }]).fullText).toBe('one\n\ntwo')
  })
})
