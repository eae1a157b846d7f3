// Issue 24: one event subscription per server and directory, shared by every stream of a client;
// deadlines that cost nothing per read. And issue 16 #8: stream() returns usage and reports
// session.error.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, type OpencodeEvent, UpstreamError } from '../../src/index.js'
import type { Clock } from '../../src/support/Clock.js'
import { ManualClock } from '../../src/testing/ManualClock.js'
import { Reply, StaleSessionError } from '../../src/wire/index.js'
import { BASE, connected, delta, frame, heartbeat, idle, pushSse, settle, until } from './sse.js'

const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

/** Every /event connection is a pushSse the test writes into; returns them in order. */
const connections = () => {
  const opened: ReturnType<typeof pushSse>[] = []
  const closed: number[] = []
  server.use(
    http.get(`${BASE}/event`, ({ request }) => {
      const push = pushSse()
      const index = opened.push(push) - 1
      request.signal.addEventListener('abort', () => closed.push(index))
      return push.response
    }),
  )
  return { opened, closed }
}

/** Iterate a session's events into `seen`, returning the outcome promise. */
const follow = (client: Client, sessionId: string, seen: string[], options = {}) =>
  settle(
    (async () => {
      for await (const event of client.events(sessionId, options))
        seen.push(String(event.properties.delta ?? event.type))
    })(),
  )

describe('one subscription per server and directory (issue 24)', () => {
  it('three concurrent sessions share one /event connection; each gets only its own events; the last one out closes it', async () => {
    const { opened, closed } = connections()
    const client = new Client({ api: 'v1', baseUrl: BASE })
    const seen: Record<string, string[]> = { ses_1: [], ses_2: [], ses_3: [] }
    const done = Object.keys(seen).map((id) => follow(client, id, seen[id] as string[]))
    await until(() => opened.length === 1, 'the connection')
    const push = (opened[0] as ReturnType<typeof pushSse>).push
    push(frame(connected))
    push(frame(delta('one', 'ses_1')) + frame(delta('two', 'ses_2')) + frame(delta('three', 'ses_3')))
    push(frame(idle('ses_2')))
    expect(await done[1]).toBeUndefined()
    push(frame(heartbeat) + frame(delta('one more', 'ses_1')) + frame(idle('ses_1')) + frame(idle('ses_3')))
    expect(await Promise.all(done)).toEqual([undefined, undefined, undefined])
    expect(opened).toHaveLength(1)
    expect(seen).toEqual({
      ses_1: ['server.connected', 'one', 'server.heartbeat', 'one more', 'session.status'],
      ses_2: ['server.connected', 'two', 'session.status'],
      ses_3: ['server.connected', 'three', 'server.heartbeat', 'session.status'],
    })
    await until(() => closed.length === 1, 'the connection closed after the last stream')
  })

  it('a stream joining a live connection is subscribed at once: its onceConnected (the prompt) runs without a new connection', async () => {
    const { opened } = connections()
    const client = new Client({ api: 'v1', baseUrl: BASE })
    const first: string[] = []
    const firstDone = follow(client, 'ses_1', first)
    await until(() => opened.length === 1, 'the connection')
    const push = (opened[0] as ReturnType<typeof pushSse>).push
    push(frame(connected))
    await until(() => first.length === 1, 'the first stream connected')
    const order: string[] = []
    const second: string[] = []
    const secondDone = follow(client, 'ses_2', second, {
      onceConnected: () => {
        order.push('prompt ses_2')
        push(frame(delta('reply', 'ses_2')) + frame(idle('ses_2')))
      },
    })
    expect(await secondDone).toBeUndefined()
    expect(order).toEqual(['prompt ses_2'])
    expect(second).toEqual(['server.connected', 'reply', 'session.status'])
    expect(opened).toHaveLength(1)
    push(frame(idle('ses_1')))
    expect(await firstDone).toBeUndefined()
  })

  it('a reconnect is shared: every stream sees the new connection’s server.connected, nothing before it, and the prompt is not sent again', async () => {
    const { opened } = connections()
    const client = new Client({ api: 'v1', baseUrl: BASE })
    const prompts: string[] = []
    const a: string[] = []
    const b: string[] = []
    const doneA = follow(client, 'ses_a', a, { reconnectDelayMs: 0, onceConnected: () => prompts.push('a') })
    const doneB = follow(client, 'ses_b', b, { reconnectDelayMs: 0, onceConnected: () => prompts.push('b') })
    await until(() => opened.length === 1, 'the connection')
    opened[0]?.push(frame(connected) + frame(delta('a1', 'ses_a')) + frame(delta('b1', 'ses_b')))
    await until(() => a.length === 2 && b.length === 2, 'the first events')
    opened[0]?.fail(new TypeError('terminated'))
    await until(() => opened.length === 2, 'the reconnect')
    opened[1]?.push(
      frame(delta('lost', 'ses_a')) + frame(connected) + frame(delta('a2', 'ses_a')) + frame(idle('ses_a')),
    )
    opened[1]?.push(frame(delta('b2', 'ses_b')) + frame(idle('ses_b')))
    expect(await Promise.all([doneA, doneB])).toEqual([undefined, undefined])
    expect(prompts).toEqual(['a', 'b'])
    expect(a).toEqual(['server.connected', 'a1', 'server.connected', 'a2', 'session.status'])
    expect(b).toEqual(['server.connected', 'b1', 'server.connected', 'b2', 'session.status'])
    expect(opened).toHaveLength(2)
  })

  it('deadlines stay per stream: one stream’s StaleSessionError does not end the others', async () => {
    const { opened } = connections()
    const clock = new ManualClock()
    const client = new Client({ api: 'v1', baseUrl: BASE, clock })
    const quiet: string[] = []
    const busy: string[] = []
    const quietDone = follow(client, 'ses_quiet', quiet, { deadlines: { firstEventMs: 1_000 } })
    const busyDone = follow(client, 'ses_busy', busy, { deadlines: { firstEventMs: 1_000 } })
    await until(() => opened.length === 1, 'the connection')
    opened[0]?.push(frame(connected) + frame(delta('x', 'ses_busy')))
    await until(() => busy.length === 2, 'the busy stream’s event')
    await clock.advance(1_000)
    expect(await quietDone).toBeInstanceOf(StaleSessionError)
    opened[0]?.push(frame(idle('ses_busy')))
    expect(await busyDone).toBeUndefined()
    expect(opened).toHaveLength(1)
  })

  it('separate directories are separate subscriptions (the server scopes /event by directory)', async () => {
    const urls: string[] = []
    server.use(
      http.get(`${BASE}/event`, ({ request }) => {
        urls.push(new URL(request.url).searchParams.get('directory') ?? '')
        const push = pushSse()
        push.push(frame(connected) + frame(idle('ses_1')))
        return push.response
      }),
    )
    await Promise.all(
      ['/a', '/b'].map(async (directory) => {
        for await (const _ of new Client({ api: 'v1', baseUrl: BASE, directory }).events('ses_1')) {
        }
      }),
    )
    expect(urls.sort()).toEqual(['/a', '/b'])
  })
})

describe('deadlines cost nothing per read (issue 24)', () => {
  it('10 000 events on one stream arm a handful of timers, not one per read', async () => {
    const { opened } = connections()
    let sleeps = 0
    const real = new ManualClock()
    const counting: Clock = {
      now: () => real.now(),
      date: () => real.date(),
      sleep: (ms, signal) => {
        sleeps++
        return real.sleep(ms, signal)
      },
    }
    const client = new Client({ api: 'v1', baseUrl: BASE, clock: counting })
    let count = 0
    const done = settle(
      (async () => {
        for await (const _ of client.events('ses_1', { deadlines: { idleMs: 60_000 } })) count++
      })(),
    )
    await until(() => opened.length === 1, 'the connection')
    opened[0]?.push(frame(connected))
    for (let i = 0; i < 100; i++) {
      let chunk = ''
      for (let j = 0; j < 100; j++) chunk += frame(delta(`${i}.${j}`))
      opened[0]?.push(chunk)
      await until(() => count === 1 + (i + 1) * 100, 'the chunk')
    }
    opened[0]?.push(frame(idle()))
    expect(await done).toBeUndefined()
    expect(count).toBe(10_002)
    expect(sleeps).toBeLessThan(10)
  })
})

describe('stream() (issue 16 #8)', () => {
  const serve = (events: OpencodeEvent[]) =>
    server.use(
      http.get(`${BASE}/event`, () => {
        const push = pushSse()
        push.push([connected, ...events].map(frame).join(''))
        return push.response
      }),
      http.post(`${BASE}/session/ses_1/prompt_async`, () => new HttpResponse(null, { status: 204 })),
      http.get(`${BASE}/session/ses_1/message`, () => HttpResponse.json([])),
    )
  const stepFinish = (id: string, cost: number, tokens: Record<string, unknown>): OpencodeEvent => ({
    type: 'message.part.updated',
    properties: {
      sessionID: 'ses_1',
      part: { id, sessionID: 'ses_1', messageID: 'msg_a', type: 'step-finish', cost, tokens },
    },
  })

  it('returns the usage summed over every model step', async () => {
    serve([
      delta('Hi'),
      stepFinish('prt_s1', 0.001, { input: 10, output: 5, reasoning: 2, cache: { read: 3, write: 1 } }),
      stepFinish('prt_s2', 0.002, { input: 20, output: 7, reasoning: 0, cache: { read: 4, write: 0 } }),
      idle(),
    ])
    const result = await new Client({ api: 'v1', baseUrl: BASE }).stream('ses_1', 'hello')
    expect(result.fullText).toBe('Hi')
    expect(result.usage).toEqual({
      cost: 0.003,
      inputTokens: 30,
      outputTokens: 12,
      reasoningTokens: 2,
      cacheReadTokens: 7,
      cacheWriteTokens: 1,
    })
  })

  it('an upstream session.error rejects with UpstreamError (name, message, status) carrying what was streamed', async () => {
    const error = {
      name: 'APIError',
      data: { message: 'Bad request: context too long', statusCode: 400, isRetryable: false },
    }
    serve([delta('partial'), { type: 'session.error', properties: { sessionID: 'ses_1', error } }, idle()])
    const outcome = await settle(new Client({ api: 'v1', baseUrl: BASE }).stream('ses_1', 'hello'))
    expect(outcome).toBeInstanceOf(UpstreamError)
    expect(outcome).toMatchObject({
      code: 'upstream',
      upstream: {
        name: 'APIError',
        message: 'Bad request: context too long',
        statusCode: 400,
        retryable: false,
      },
      result: { fullText: 'partial' },
    })
    expect(new Reply().usage.cost).toBe(0)
  })
})
