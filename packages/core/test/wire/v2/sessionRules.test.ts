// Per-session permission rules on a client that speaks v2: OpenCode's v2 API has no such field
// (and its runner ignores a legacy session's rules, checked on 1.18.33), so a session with rules
// lives on the legacy API when the server offers it, and the client follows it there; otherwise a
// typed error says what to do. The server here is a recording fetch answering like 1.18.33.
import { Client } from '@opencode-kit/core'
import { UnsupportedFeatureError } from '@opencode-kit/core/wire'
import { describe, expect, it } from 'vitest'

const DENY = [{ permission: '*', pattern: '*', action: 'deny' as const }]
const json = (body: unknown, status = 200) =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })

/** A server offering `apis`; legacy sessions made with rules keep them on their record. */
function server(apis: Array<'v1' | 'v2'>) {
  const calls: string[] = []
  const legacyRules = new Map<string, unknown>()
  let next = 0
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(String(input))
    const method = init?.method ?? 'GET'
    calls.push(`${method} ${url.pathname}`)
    const v2 = url.pathname.startsWith('/api/')
    if (v2 ? !apis.includes('v2') : !apis.includes('v1'))
      return new Response('<!doctype html>', { status: 200, headers: { 'content-type': 'text/html' } })
    if (url.pathname === '/api/session/active') return json({ data: {} })
    if (url.pathname === '/global/health') return json({ healthy: true, version: '1.18.33' })
    if (method === 'POST' && url.pathname === '/api/session')
      return json({ data: { id: `ses_v2_${++next}` } })
    if (method === 'POST' && url.pathname === '/session') {
      const id = `ses_v1_${++next}`
      const body = JSON.parse(String(init?.body)) as { permission?: unknown }
      if (body.permission) legacyRules.set(id, body.permission)
      return json({ id })
    }
    const legacySession = url.pathname.match(/^\/session\/([^/]+)$/)?.[1]
    if (method === 'GET' && legacySession) {
      if (legacySession === 'ses_gone') return json({ name: 'NotFoundError', data: { message: 'gone' } }, 404)
      const permission = legacyRules.get(legacySession)
      return json({ id: legacySession, ...(permission ? { permission } : {}) })
    }
    if (url.pathname.endsWith('/prompt_async')) return json({}, 204)
    if (url.pathname.endsWith('/prompt'))
      return json({ data: { admittedSeq: 1, id: 'msg_1', sessionID: 'x', delivery: 'queue' } })
    if (url.pathname.endsWith('/reply')) return json(true)
    if (url.pathname.match(/\/message$/)) return json(v2 ? { data: [], cursor: {} } : [])
    return json({ name: 'NotFoundError', data: { message: 'unexpected' } }, 404)
  }
  return { calls, fetch, legacyRules }
}

describe('per-session permission rules on a client that speaks v2', () => {
  it('a server offering both: the session is made on the legacy API with its rules, and stays there', async () => {
    const both = server(['v1', 'v2'])
    const client = new Client({ baseUrl: 'http://opencode.test', fetch: both.fetch })
    expect(await client.api()).toBe('v2')
    const session = await client.createSession({ permissions: DENY })
    expect(both.legacyRules.get(session.id)).toEqual(DENY)
    both.calls.length = 0
    await client.prompt(session.id, { text: 'Hi' })
    await client.getMessages(session.id)
    await client.replyPermission({ requestId: 'per_1', reply: 'once', sessionId: session.id })
    expect(both.calls).toEqual([
      `POST /session/${session.id}/prompt_async`,
      `GET /session/${session.id}/message`,
      'POST /permission/per_1/reply',
    ])
  })

  it('a session without rules speaks v2 (no lookup)', async () => {
    const both = server(['v1', 'v2'])
    const client = new Client({ baseUrl: 'http://opencode.test', fetch: both.fetch })
    const session = await client.createSession({ permissions: [] })
    both.calls.length = 0
    await client.prompt(session.id, { text: 'Hi' })
    expect(both.calls).toEqual([`POST /api/session/${session.id}/prompt`])
  })

  it("another client's session (a restart) is looked up once on the legacy record: rules → legacy, none → v2", async () => {
    const both = server(['v1', 'v2'])
    const maker = new Client({ baseUrl: 'http://opencode.test', fetch: both.fetch })
    const ruled = await maker.createSession({ permissions: DENY })
    const plain = await maker.createSession()
    const client = new Client({ baseUrl: 'http://opencode.test', fetch: both.fetch })
    await client.api()
    both.calls.length = 0
    await client.prompt(ruled.id, { text: 'Hi' })
    await client.prompt(ruled.id, { text: 'Again' })
    await client.prompt(plain.id, { text: 'Hi' })
    expect(both.calls).toEqual([
      `GET /session/${ruled.id}`,
      `POST /session/${ruled.id}/prompt_async`,
      `POST /session/${ruled.id}/prompt_async`,
      `GET /session/${plain.id}`,
      `POST /api/session/${plain.id}/prompt`,
    ])
  })

  it('a session the legacy API does not know goes to v2 (which reports it missing), and is asked again next time', async () => {
    const both = server(['v1', 'v2'])
    const client = new Client({ baseUrl: 'http://opencode.test', fetch: both.fetch })
    await client.api()
    both.calls.length = 0
    await client.getMessages('ses_gone')
    await client.getMessages('ses_gone')
    expect(both.calls).toEqual([
      'GET /session/ses_gone',
      'GET /api/session/ses_gone/message',
      'GET /session/ses_gone',
      'GET /api/session/ses_gone/message',
    ])
  })

  it('a v2-only server: UnsupportedFeatureError naming the agent route, nothing created', async () => {
    const only = server(['v2'])
    const client = new Client({ baseUrl: 'http://opencode.test', fetch: only.fetch })
    const error = await client.createSession({ permissions: DENY }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsupportedFeatureError)
    expect((error as UnsupportedFeatureError).code).toBe('unsupported_feature')
    expect((error as Error).message).toMatch(/offers only OpenCode's v2 API.*agent/)
    expect(only.calls.filter((call) => call.startsWith('POST'))).toEqual([])
  })

  it("forced api: 'v2' on a server offering both: UnsupportedFeatureError pointing at 'auto'", async () => {
    const both = server(['v1', 'v2'])
    const client = new Client({ baseUrl: 'http://opencode.test', fetch: both.fetch, api: 'v2' })
    const error = await client.createSession({ permissions: DENY }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsupportedFeatureError)
    expect((error as Error).message).toMatch(/forced.*'auto'/)
    expect(both.calls.filter((call) => call.startsWith('POST'))).toEqual([])
  })

  it('a v1 client is unchanged: rules on POST /session, no lookups', async () => {
    const legacy = server(['v1'])
    const client = new Client({ baseUrl: 'http://opencode.test', fetch: legacy.fetch })
    const session = await client.createSession({ permissions: DENY })
    await client.prompt(session.id, { text: 'Hi' })
    expect(
      legacy.calls.filter((call) => !call.startsWith('GET /api') && call !== 'GET /global/health'),
    ).toEqual(['POST /session', `POST /session/${session.id}/prompt_async`])
  })
})
