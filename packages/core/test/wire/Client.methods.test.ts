import diagnostics_channel from 'node:diagnostics_channel'
// wire-client.md §1: one test per row of the method table, plus construction.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { Client, type PermissionRule } from '../../src/index.js'
import { BASE, connected, delta, frame, idle, sse } from './sse.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  server.resetHandlers()
  vi.unstubAllEnvs()
})
afterAll(() => server.close())

interface Seen {
  method: string
  url: URL
  body: unknown
  headers: Headers
}

/** Record every request to `path` and answer with `answer`. */
const capture = (method: 'get' | 'post' | 'patch' | 'delete', path: string, answer: () => Response) => {
  const seen: Seen[] = []
  server.use(
    http[method](`${BASE}${path}`, async ({ request }) => {
      const text = await request.text()
      seen.push({
        method: request.method,
        url: new URL(request.url),
        body: text === '' ? undefined : JSON.parse(text),
        headers: request.headers,
      })
      return answer()
    }),
  )
  return seen
}

const client = () => new Client({ api: 'v1', baseUrl: BASE })
const deny: PermissionRule[] = [{ permission: '*', pattern: '*', action: 'deny' }]

describe('Client construction (wire-client §1)', () => {
  it('construction: base URL defaults to OPENCODE_URL, else http://localhost:4096', () => {
    expect(new Client({ api: 'v1' }).baseUrl).toBe('http://localhost:4096')
    vi.stubEnv('OPENCODE_URL', 'http://opencode.internal:9000/')
    expect(new Client({ api: 'v1' }).baseUrl).toBe('http://opencode.internal:9000')
  })

  it('construction: OPENCODE_SERVER_PASSWORD is sent as basic auth opencode:<password>', async () => {
    vi.stubEnv('OPENCODE_SERVER_PASSWORD', 'from-env')
    const seen = capture('get', '/session', () => HttpResponse.json([]))
    await client().listSessions()
    expect(seen[0]?.headers.get('authorization')).toBe(`Basic ${btoa('opencode:from-env')}`)
  })

  it('construction: every request sends JSON (accept, and content-type with a body)', async () => {
    const seen = capture('post', '/session', () => HttpResponse.json({ id: 'ses_1' }))
    await client().createSession({ title: 't' })
    expect(seen[0]?.headers.get('accept')).toBe('application/json')
    expect(seen[0]?.headers.get('content-type')).toBe('application/json')
  })

  it('construction: extra headers are sent on every request', async () => {
    const seen = capture('get', '/session', () => HttpResponse.json([]))
    await new Client({ api: 'v1', baseUrl: BASE, headers: { 'x-proxy-auth': 'k' } }).listSessions()
    expect(seen[0]?.headers.get('x-proxy-auth')).toBe('k')
  })

  it('construction: an injected fetch is used for every call', async () => {
    const fetch = vi.fn(async () => Response.json({ healthy: true, version: 'x' }))
    expect(await new Client({ api: 'v1', baseUrl: BASE, fetch }).health()).toEqual({
      healthy: true,
      version: 'x',
    })
    expect(fetch).toHaveBeenCalledOnce()
  })
})

describe('Client methods (wire-client §1 table)', () => {
  it('§1 row createSession: POST /session, permissions→permission, parentId→parentID, model→{providerID, id}, workspaceId→workspaceID, undefined dropped', async () => {
    const seen = capture('post', '/session', () => HttpResponse.json({ id: 'ses_1', title: 'T' }))
    const session = await client().createSession({
      title: 'T',
      permissions: deny,
      parentId: 'ses_parent',
      agent: 'build',
      model: 'openrouter/anthropic/claude',
      metadata: { ticket: 42 },
      workspaceId: 'wrk_1',
    })
    expect(session).toEqual({ id: 'ses_1', title: 'T' })
    expect(seen[0]?.body).toEqual({
      title: 'T',
      permission: deny,
      parentID: 'ses_parent',
      agent: 'build',
      model: { providerID: 'openrouter', id: 'anthropic/claude' },
      metadata: { ticket: 42 },
      workspaceID: 'wrk_1',
    })
    await client().createSession({ title: 'only' })
    expect(seen[1]?.body).toEqual({ title: 'only' })
  })

  it('§1 row sendMessage: POST /session/:id/message with every prompt option mapped', async () => {
    const seen = capture('post', '/session/ses_1/message', () =>
      HttpResponse.json({ info: { role: 'assistant' }, parts: [] }),
    )
    const answer = await client().sendMessage('ses_1', 'hello', {
      messageId: 'msg_1',
      model: 'fake/fake-model',
      agent: 'plan',
      noReply: true,
      tools: { bash: false },
      format: { type: 'json_schema' },
      system: 'be brief',
      variant: 'high',
    })
    expect(answer).toEqual({ info: { role: 'assistant' }, parts: [] })
    expect(seen[0]?.body).toEqual({
      messageID: 'msg_1',
      parts: [{ type: 'text', text: 'hello' }],
      model: { providerID: 'fake', modelID: 'fake-model' },
      agent: 'plan',
      noReply: true,
      tools: { bash: false },
      format: { type: 'json_schema' },
      system: 'be brief',
      variant: 'high',
    })
  })

  it('§1 row prompt: POST /session/:id/prompt_async; default parts [{type:"text", text}]; explicit parts win; 204 → resolves', async () => {
    const seen = capture('post', '/session/ses_1/prompt_async', () => new HttpResponse(null, { status: 204 }))
    await expect(client().prompt('ses_1', { text: 'hi' })).resolves.toBeUndefined()
    expect(seen[0]?.body).toEqual({ parts: [{ type: 'text', text: 'hi' }] })
    const parts = [{ type: 'file', url: 'data:,x', mime: 'text/plain' }]
    await client().prompt('ses_1', { text: 'ignored', parts })
    expect(seen[1]?.body).toEqual({ parts })
  })

  it('§1 row listSessions: GET /session', async () => {
    const seen = capture('get', '/session', () => HttpResponse.json([{ id: 'ses_1' }]))
    expect(await client().listSessions()).toEqual([{ id: 'ses_1' }])
    expect(seen[0]?.method).toBe('GET')
  })

  it('§1 row getSession: GET /session/:id (the id is path-encoded)', async () => {
    const seen = capture('get', '/session/:id', () => HttpResponse.json({ id: 'ses/1' }))
    expect(await client().getSession('ses/1')).toEqual({ id: 'ses/1' })
    expect(seen[0]?.url.pathname).toBe('/session/ses%2F1')
  })

  it('§1 row children: GET /session/:id/children', async () => {
    capture('get', '/session/ses_1/children', () =>
      HttpResponse.json([{ id: 'ses_child', parentID: 'ses_1' }]),
    )
    expect(await client().children('ses_1')).toEqual([{ id: 'ses_child', parentID: 'ses_1' }])
  })

  it('§1 row sessionStatus: GET /session/status', async () => {
    capture('get', '/session/status', () => HttpResponse.json({ ses_1: { type: 'busy' } }))
    expect(await client().sessionStatus()).toEqual({ ses_1: { type: 'busy' } })
  })

  it('§1 row updateSession: PATCH /session/:id {permission}', async () => {
    const seen = capture('patch', '/session/ses_1', () => HttpResponse.json({ id: 'ses_1' }))
    await client().updateSession('ses_1', { permissions: deny })
    expect(seen[0]?.body).toEqual({ permission: deny })
  })

  it('§1 row deleteSession: DELETE /session/:id', async () => {
    const seen = capture('delete', '/session/ses_1', () => HttpResponse.json(true))
    expect(await client().deleteSession('ses_1')).toBe(true)
    expect(seen[0]?.method).toBe('DELETE')
  })

  it('§1 row abortSession: POST /session/:id/abort {} → the server answers 200 true', async () => {
    const seen = capture('post', '/session/ses_1/abort', () => HttpResponse.json(true))
    expect(await client().abortSession('ses_1')).toBe(true)
    expect(seen[0]?.body).toEqual({})
  })

  it('§1 row getMessages: GET /session/:id/message → array of {info, parts}', async () => {
    const messages = [
      { info: { id: 'msg_u', role: 'user' }, parts: [{ type: 'text', text: 'hi' }] },
      { info: { id: 'msg_a', role: 'assistant' }, parts: [{ type: 'text', text: 'hello' }] },
    ]
    capture('get', '/session/ses_1/message', () => HttpResponse.json(messages))
    expect(await client().getMessages('ses_1')).toEqual(messages)
  })

  it('§1 row replyQuestion: POST /question/:id/reply {answers}', async () => {
    const seen = capture('post', '/question/que_1/reply', () => HttpResponse.json(true))
    await client().replyQuestion({ requestId: 'que_1', answers: [['Yes']] })
    expect(seen[0]?.body).toEqual({ answers: [['Yes']] })
  })

  it('§1 row rejectQuestion: POST /question/:id/reject {}', async () => {
    const seen = capture('post', '/question/que_1/reject', () => HttpResponse.json(true))
    await client().rejectQuestion({ requestId: 'que_1' })
    expect(seen[0]?.body).toEqual({})
  })

  it('§1 row listQuestions: GET /question (non-array → [])', async () => {
    let answer: object = [{ id: 'que_1' }]
    capture('get', '/question', () => HttpResponse.json(answer))
    expect(await client().listQuestions()).toEqual([{ id: 'que_1' }])
    answer = { unexpected: true }
    expect(await client().listQuestions()).toEqual([])
  })

  it('§1 row replyPermission: POST /permission/:id/reply {reply, message?}', async () => {
    const seen = capture('post', '/permission/per_1/reply', () => HttpResponse.json(true))
    await client().replyPermission({ requestId: 'per_1', reply: 'once' })
    await client().replyPermission({ requestId: 'per_1', reply: 'reject', message: 'not in prod' })
    expect(seen.map((s) => s.body)).toEqual([{ reply: 'once' }, { reply: 'reject', message: 'not in prod' }])
  })

  it('§1 row health: GET /global/health (never scoped by directory/workspace)', async () => {
    const seen = capture('get', '/global/health', () =>
      HttpResponse.json({ healthy: true, version: '1.18.33' }),
    )
    const scoped = new Client({ api: 'v1', baseUrl: BASE, directory: '/srv/x', workspace: 'w' })
    expect(await scoped.health()).toEqual({ healthy: true, version: '1.18.33' })
    expect(seen[0]?.url.search).toBe('')
  })

  it('§1 row stream: events + prompt on subscribe + Reply + final-exchange merge; returns the Reply result', async () => {
    const order: string[] = []
    let prompts = 0
    server.use(
      http.get(`${BASE}/event`, () => {
        order.push('subscribe')
        return sse([frame(connected), frame(delta('Hi')), frame(delta(' there')), frame(idle())])
      }),
      http.post(`${BASE}/session/ses_1/prompt_async`, async ({ request }) => {
        order.push('prompt')
        prompts++
        expect(await request.json()).toEqual({ parts: [{ type: 'text', text: 'hello' }], agent: 'build' })
        return new HttpResponse(null, { status: 204 })
      }),
      http.get(`${BASE}/session/ses_1/message`, () => {
        order.push('poll')
        return HttpResponse.json([
          { info: { role: 'user' }, parts: [{ type: 'text', text: 'hello' }] },
          {
            info: { role: 'assistant' },
            parts: [
              { type: 'step-start' },
              { type: 'text', text: 'Hi there!' },
              { type: 'step-finish', cost: 0.1, tokens: { input: 1, output: 2 } },
            ],
          },
        ])
      }),
    )
    const deltas: string[] = []
    const result = await client().stream('ses_1', 'hello', { agent: 'build' }, ({ delta }) =>
      deltas.push(delta),
    )
    expect(order).toEqual(['subscribe', 'prompt', 'poll'])
    expect(prompts).toBe(1)
    expect(deltas).toEqual(['Hi', ' there'])
    // The polled final message is authoritative (it has the "!" the stream never delivered).
    expect(result.fullText).toBe('Hi there!')
    expect(result.parts).toEqual([{ type: 'text', content: 'Hi there!' }])
  })

  it('§1 row stream: a failing final poll is ignored (best effort); the streamed reply stands', async () => {
    server.use(
      http.get(`${BASE}/event`, () => sse([frame(connected), frame(delta('streamed')), frame(idle())])),
      http.post(`${BASE}/session/ses_1/prompt_async`, () => new HttpResponse(null, { status: 204 })),
      http.get(`${BASE}/session/ses_1/message`, () => HttpResponse.json({}, { status: 500 })),
    )
    const result = await client().stream('ses_1', 'hello')
    expect(result.fullText).toBe('streamed')
  })

  it('§1 row stream: a failing prompt propagates unchanged (SessionNotFoundError) and is not retried', async () => {
    let prompts = 0
    server.use(
      http.get(`${BASE}/event`, () => sse([frame(connected)])),
      http.post(`${BASE}/session/ses_1/prompt_async`, () => {
        prompts++
        return HttpResponse.json({ data: { message: 'Session not found: ses_1' } }, { status: 404 })
      }),
    )
    await expect(client().stream('ses_1', 'hello')).rejects.toMatchObject({
      name: 'SessionNotFoundError',
      message: 'Session not found: ses_1',
    })
    expect(prompts).toBe(1)
  })

  it('every request is traced as request {method, path} (path without query), published as opencode.request', async () => {
    const seen: unknown[] = []
    capture('get', '/session/ses_1/message', () => HttpResponse.json([]))
    const published: unknown[] = []
    const listener = (payload: unknown) => published.push(payload)
    diagnostics_channel.subscribe('opencode.request', listener)
    try {
      await new Client({
        api: 'v1',
        baseUrl: BASE,
        directory: '/d',
        onTrace: (name, payload) => seen.push([name, payload]),
      }).getMessages('ses_1')
    } finally {
      diagnostics_channel.unsubscribe('opencode.request', listener)
    }
    expect(seen).toEqual([
      ['request', { method: 'GET', path: '/session/ses_1/message' }],
      [
        'request.finished',
        { method: 'GET', path: '/session/ses_1/message', status: 200, durationMs: expect.any(Number) },
      ],
    ])
    expect(published).toEqual([{ method: 'GET', path: '/session/ses_1/message' }])
  })
})
