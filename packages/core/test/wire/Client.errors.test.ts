// wire-client.md §1 "Response handling": every status, non-JSON bodies, timeouts, refusals, aborts.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  AbortError,
  Client,
  ConnectionError,
  OpencodeError,
  ServerError,
  SessionNotFoundError,
  TimeoutError,
} from '../../src/index.js'
import { ManualClock } from '../../src/testing/ManualClock.js'
import { BadRequestError } from '../../src/wire/index.js'
import { BASE, settle, until } from './sse.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const answer = (response: () => Response | Promise<Response>) =>
  server.use(http.get(`${BASE}/session/ses_1`, response))
const get = (client = new Client({ api: 'v1', baseUrl: BASE })) => settle(client.getSession('ses_1'))

describe('Client response handling (wire-client §1)', () => {
  it('status 204 → empty object (prompt_async answers 204 with an empty body)', async () => {
    answer(() => new HttpResponse(null, { status: 204 }))
    expect(await get()).toEqual({})
  })

  it('status 2xx with an empty body → empty object', async () => {
    answer(() => new HttpResponse('', { status: 200 }))
    expect(await get()).toEqual({})
  })

  it('status 2xx → the parsed JSON body (abort answers 200 true)', async () => {
    server.use(http.post(`${BASE}/session/ses_1/abort`, () => HttpResponse.json(true)))
    expect(await new Client({ api: 'v1', baseUrl: BASE }).abortSession('ses_1')).toBe(true)
  })

  it('status 2xx with a non-JSON body → ServerError("Invalid JSON from OpenCode (HTTP n): <first 200 chars>")', async () => {
    const html = `<!doctype html>${'y'.repeat(400)}`
    answer(() => new HttpResponse(html, { status: 201 }))
    const error = (await get()) as ServerError
    expect(error).toBeInstanceOf(ServerError)
    expect(error.message).toBe(`Invalid JSON from OpenCode (HTTP 201): ${html.slice(0, 200)}`)
    expect(error).toMatchObject({ status: 201, body: html, code: 'server' })
  })

  it('status 404 → SessionNotFoundError with body.data.message (the real server shape)', async () => {
    const body = { name: 'NotFoundError', data: { message: 'Session not found: ses_1' } }
    answer(() => HttpResponse.json(body, { status: 404 }))
    const error = await get()
    expect(error).toBeInstanceOf(SessionNotFoundError)
    expect(error).toMatchObject({
      status: 404,
      body,
      message: 'Session not found: ses_1',
      code: 'session_not_found',
    })
  })

  it('status 404 without a message → fallback "Session not found"', async () => {
    answer(() => HttpResponse.json({}, { status: 404 }))
    expect(await get()).toMatchObject({ name: 'SessionNotFoundError', message: 'Session not found' })
  })

  it.each([400, 401, 403, 405, 409, 413, 422, 429])(
    'status %i (other 4xx) → BadRequestError with the fallback "Bad request"',
    async (status) => {
      answer(() => HttpResponse.json({ name: 'X' }, { status }))
      const error = await get()
      expect(error).toBeInstanceOf(BadRequestError)
      expect(error).toMatchObject({
        status,
        body: { name: 'X' },
        message: 'Bad request',
        code: 'bad_request',
      })
    },
  )

  it.each([500, 502, 503, 504])(
    'status %i (5xx) → ServerError with the fallback "Server error"',
    async (status) => {
      answer(() => HttpResponse.json({}, { status }))
      const error = await get()
      expect(error).toBeInstanceOf(ServerError)
      expect(error).toMatchObject({ status, message: 'Server error', code: 'server' })
    },
  )

  it('status 3xx (anything else) → the base OpencodeError, not a subclass', async () => {
    answer(() => HttpResponse.json({ message: 'multiple choices' }, { status: 300 }))
    const error = await get()
    expect(error).toBeInstanceOf(OpencodeError)
    expect(error).not.toBeInstanceOf(ServerError)
    expect(error).not.toBeInstanceOf(BadRequestError)
    expect(error).toMatchObject({ status: 300, code: 'opencode_error' })
    expect((error as Error).message).toContain('multiple choices')
  })

  it('message precedence: body.data.message, else body.message, else the fallback', async () => {
    answer(() => HttpResponse.json({ message: 'top', data: { message: 'nested' } }, { status: 400 }))
    expect(await get()).toMatchObject({ message: 'nested' })
    answer(() => HttpResponse.json({ message: 'top', data: {} }, { status: 400 }))
    expect(await get()).toMatchObject({ message: 'top' })
    answer(() => HttpResponse.json({ data: { message: '' } }, { status: 400 }))
    expect(await get()).toMatchObject({ message: 'Bad request' })
  })

  it('a non-2xx with a non-JSON body: the message is its first 200 characters, the body its text', async () => {
    const text = `Bad Gateway ${'z'.repeat(300)}`
    answer(() => new HttpResponse(text, { status: 502 }))
    const error = await get()
    expect(error).toBeInstanceOf(ServerError)
    expect(error).toMatchObject({ status: 502, body: text, message: text.slice(0, 200) })
  })

  it('a 404 with a non-JSON body is still SessionNotFoundError', async () => {
    answer(() => new HttpResponse('not here', { status: 404 }))
    expect(await get()).toMatchObject({ name: 'SessionNotFoundError', message: 'not here', body: 'not here' })
  })

  it('timeout → TimeoutError, driven by the injected clock (no real waiting)', async () => {
    answer(() => new Promise<never>(() => {}))
    const clock = new ManualClock()
    const pending = get(new Client({ api: 'v1', baseUrl: BASE, clock, timeoutMs: 5_000 }))
    await until(() => clock.pendingSleeps > 0, 'the request timer')
    await clock.advance(4_999)
    await clock.advance(1)
    const error = await pending
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as Error).message).toContain('5000 ms')
  })

  it('timeout: a per-call timeoutMs overrides the client default', async () => {
    answer(() => new Promise<never>(() => {}))
    const clock = new ManualClock()
    const pending = settle(
      new Client({ api: 'v1', baseUrl: BASE, clock }).getSession('ses_1', { timeoutMs: 10 }),
    )
    await until(() => clock.pendingSleeps > 0, 'the request timer')
    await clock.advance(10)
    expect(await pending).toBeInstanceOf(TimeoutError)
  })

  it('a finished request cancels its timer (no sleeper left on the clock)', async () => {
    answer(() => HttpResponse.json({ id: 'ses_1' }))
    const clock = new ManualClock()
    await new Client({ api: 'v1', baseUrl: BASE, clock }).getSession('ses_1')
    expect(clock.pendingSleeps).toBe(0)
  })

  it('connection refused / DNS failure → ConnectionError (the fetch TypeError is the cause)', async () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    })
    const client = new Client({
      api: 'v1',
      baseUrl: 'http://127.0.0.1:1',
      fetch: async () => {
        throw refused
      },
    })
    const error = await settle(client.listSessions())
    expect(error).toBeInstanceOf(ConnectionError)
    expect((error as ConnectionError).cause).toBe(refused)
    expect((error as Error).message).toContain('http://127.0.0.1:1')
  })

  it('a network error from the server (MSW HttpResponse.error) → ConnectionError', async () => {
    answer(() => HttpResponse.error())
    expect(await get()).toBeInstanceOf(ConnectionError)
  })

  it('abort: an already-aborted signal → AbortError before any request is sent', async () => {
    let requests = 0
    answer(() => {
      requests++
      return HttpResponse.json({})
    })
    const controller = new AbortController()
    controller.abort(new Error('user left'))
    const error = await settle(
      new Client({ api: 'v1', baseUrl: BASE }).getSession('ses_1', { signal: controller.signal }),
    )
    expect(error).toBeInstanceOf(AbortError)
    expect(requests).toBe(0)
  })

  it('abort: while waiting for the response → AbortError (code aborted)', async () => {
    let reached = false
    answer(() => {
      reached = true
      return new Promise<never>(() => {})
    })
    const controller = new AbortController()
    const pending = settle(
      new Client({ api: 'v1', baseUrl: BASE }).getSession('ses_1', { signal: controller.signal }),
    )
    await until(() => reached, 'the request')
    controller.abort()
    expect(await pending).toMatchObject({ name: 'AbortError', code: 'aborted' })
  })

  it('abort: while reading the response body → AbortError', async () => {
    let started = false
    answer(
      () =>
        new HttpResponse(
          new ReadableStream({
            start(c) {
              started = true
              c.enqueue(new TextEncoder().encode('{"id":'))
            },
          }),
        ),
    )
    const controller = new AbortController()
    const pending = settle(
      new Client({ api: 'v1', baseUrl: BASE }).getSession('ses_1', { signal: controller.signal }),
    )
    await until(() => started, 'the body')
    controller.abort()
    expect(await pending).toBeInstanceOf(AbortError)
  })
})
