// One test per documented difference between the supported OpenCode lines (docs/compatibility.md),
// each against that line's recording where one shows it.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, type OpencodeEvent, SessionNotFoundError } from '../../src/index.js'
import { type PendingPrompt, Reply } from '../../src/wire/index.js'
import {
  closesAfterConnected,
  isSessionNotFoundError,
  unwrapGlobalEventFrame,
} from '../../src/wire/serverLineDifferences.js'
import { FINAL, loadFixture, loadServer, recordedVersions } from '../support/opencodeFixtures.js'
import { BASE, connected, followSession, frame, heartbeat, idle, sse } from './sse.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const older = (version: string, than: string) => version.localeCompare(than, 'en', { numeric: true }) < 0

describe('difference 1: /event ends right after server.connected on 1.14.43–1.14.48 → /global/event', () => {
  it('the recordings: only 1.14.48 needed /global/event; every line serves it', () => {
    for (const version of recordedVersions())
      expect(loadServer(version).eventPath, version).toBe(version === '1.14.48' ? '/global/event' : '/event')
    for (const version of recordedVersions())
      expect(loadServer(version).routes).toContain('GET /global/event')
  })

  it('unwraps {directory, payload} frames and leaves /event frames alone', () => {
    const event = { type: 'session.idle', properties: { sessionID: 'ses_1' } }
    expect(unwrapGlobalEventFrame({ directory: '/p', project: 'global', payload: event })).toBe(event)
    expect(unwrapGlobalEventFrame(event)).toBe(event)
    expect(unwrapGlobalEventFrame({ type: 'x', payload: { type: 'y' } })).toMatchObject({ type: 'x' })
    expect(closesAfterConnected('/event', 0)).toBe(true)
    expect(closesAfterConnected('/event', 1)).toBe(false)
    expect(closesAfterConnected('/global/event', 0)).toBe(false)
  })

  it('a broken /event is left once per client: the next stream goes straight to /global/event, and a warning says why', async () => {
    const hits = { event: 0, global: 0 }
    const wrap = (event: unknown) => ({ directory: '/p', project: 'global', payload: event })
    server.use(
      http.get(`${BASE}/event`, () => {
        hits.event++
        return sse([frame(connected)])
      }),
      http.get(`${BASE}/global/event`, () => {
        hits.global++
        return sse([
          frame(wrap(connected)),
          frame({ payload: { type: 'sync', syncEvent: { type: 'session.updated.1' } } }),
          frame(wrap(idle())),
        ])
      }),
    )
    const warnings: string[] = []
    const client = new Client({
      api: 'v1',
      baseUrl: BASE,
      onError: (error) => void warnings.push(String(error)),
    })
    const seen: string[] = []
    await followSession(client, { sessionId: 'ses_1', reconnectDelayMs: 0 }, (e) => void seen.push(e.type))
    await followSession(client, { sessionId: 'ses_1', reconnectDelayMs: 0 }, (e) => void seen.push(e.type))
    expect(hits).toEqual({ event: 1, global: 2 })
    expect(seen).toEqual([
      'server.connected',
      'server.connected',
      'session.status',
      'server.connected',
      'session.status',
    ])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/GET \/global\/event/)
  })

  it('a healthy /event that ends after a heartbeat (a restart, a proxy) is reconnected as before', async () => {
    let connections = 0
    server.use(
      http.get(`${BASE}/event`, () => {
        connections++
        return connections === 1
          ? sse([frame(connected), frame(heartbeat)])
          : sse([frame(connected), frame(idle())])
      }),
    )
    await followSession(
      new Client({ api: 'v1', baseUrl: BASE }),
      { sessionId: 'ses_1', reconnectDelayMs: 0 },
      () => {},
    )
    expect(connections).toBe(2)
  })
})

describe('difference 2: 1.14 accepts a prompt for a deleted session (204) and reports NotFoundError on the stream', () => {
  it('the recordings: 204 + session.error on 1.14, 404 from 1.15 on', () => {
    for (const version of recordedVersions()) {
      const fixture = loadFixture(version, 'deleted-session')
      const prompt = fixture.calls?.find((c) => c.method === 'POST')
      expect(prompt?.status, version).toBe(older(version, '1.15.0') ? 204 : 404)
      expect(fixture.events.some(isSessionNotFoundError), version).toBe(older(version, '1.15.0'))
    }
  })

  it('only that error counts as a missing session', () => {
    const error = (name: string, message: string) =>
      ({
        type: 'session.error',
        properties: { sessionID: 's', error: { name, data: { message } } },
      }) as OpencodeEvent
    expect(
      isSessionNotFoundError(error('UnknownError', 'NotFoundError: NotFoundError\n at SessionPrompt')),
    ).toBe(true)
    expect(isSessionNotFoundError(error('UnknownError', 'boom'))).toBe(false)
    expect(isSessionNotFoundError(error('APIError', 'NotFoundError'))).toBe(false)
    expect(isSessionNotFoundError(error('MessageAbortedError', 'Aborted'))).toBe(false)
  })

  it('the stream ends with SessionNotFoundError instead of waiting for its deadline (there is no idle)', async () => {
    const fixture = loadFixture('1.14.48', 'deleted-session')
    server.use(
      http.get(`${BASE}/event`, () => sse([frame(connected), ...fixture.events.map((e) => frame(e))])),
    )
    const error = await followSession(
      new Client({ api: 'v1', baseUrl: BASE }),
      { sessionId: fixture.sessionId, reconnectDelayMs: 0 },
      () => {},
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionNotFoundError)
  })
})

describe('difference 3: permission.asked carries metadata.command only from 1.17 on', () => {
  it('every line names the command in patterns; a view must not rely on metadata.command', () => {
    for (const version of recordedVersions()) {
      const requests: PendingPrompt[] = []
      const reply = new Reply().addObserver({ permissionAsked: ({ request }) => void requests.push(request) })
      for (const event of loadFixture(version, 'permission-ask').events) reply.apply(event)
      expect(requests, version).toHaveLength(1)
      expect(requests[0]?.payload.patterns, version).toEqual(['echo step1'])
      const metadata = requests[0]?.payload.metadata as { command?: string }
      expect(metadata.command, version).toBe(older(version, '1.17.0') ? undefined : 'echo step1')
    }
  })
})

describe('difference 4: 1.14 and 1.15 send session.next.agent.switched / model.switched on /event', () => {
  it('they are on those lines’ streams and change nothing in the reply', () => {
    for (const version of recordedVersions()) {
      const events = loadFixture(version, 'plain-text').events
      const extra = events.filter((e) => e.type.startsWith('session.next.'))
      expect(extra.length > 0, version).toBe(older(version, '1.17.0'))
      const withThem = new Reply()
      const without = new Reply()
      for (const event of events) {
        withThem.apply(event)
        if (!event.type.startsWith('session.next.')) without.apply(event)
      }
      expect(withThem.result, version).toEqual(without.result)
      expect(withThem.result.fullText.trim()).toBe(FINAL)
    }
  })
})

describe('difference 5: sessions carry cost and tokens only from 1.15 on', () => {
  it('the session info has no cost on 1.14: usage comes from the messages on every line', () => {
    for (const version of recordedVersions()) {
      const created = loadFixture(version, 'multi-step').events.find((e) => e.type === 'session.updated')
      const info = created?.properties.info as { cost?: number } | undefined
      expect(info?.cost === undefined, version).toBe(older(version, '1.15.0'))
    }
  })
})

describe('difference 6: the v2 API (/api/*) is complete from 1.17 on', () => {
  it('1.14 and 1.15 list a few /api/session routes but no /api/event or /api/session/active: they speak v1 only', () => {
    for (const version of recordedVersions()) {
      const routes = loadServer(version).routes
      const v2 = [
        'GET /api/event',
        'GET /api/session/active',
        'GET /api/health',
        'GET /api/session/{sessionID}/event',
      ]
      for (const route of v2)
        expect(routes.includes(route), `${version} ${route}`).toBe(!older(version, '1.17.0'))
      expect(routes).toContain('POST /session/{sessionID}/prompt_async')
    }
  })
})

it('the prompt route answers 204 with an empty body on every line (no JSON to parse)', async () => {
  server.use(http.post(`${BASE}/session/ses_1/prompt_async`, () => new HttpResponse(null, { status: 204 })))
  await expect(
    new Client({ api: 'v1', baseUrl: BASE }).prompt('ses_1', { text: 'hi' }),
  ).resolves.not.toThrow()
})
