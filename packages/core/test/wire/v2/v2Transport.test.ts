// The v2 transport replayed against what a real `opencode serve` 1.18.33 sent on its `/api/*`
// routes (fixtures recorded by e2e/scripts/record-fixtures-v2.ts): the live stream as recorded
// (it skips durable events now and then), the durable log, the messages. The normalized events
// must drive `Reply` to the same reply the polled messages give, every durable event exactly once.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type OpencodeEvent, systemClock } from '@opencode-kit/core'
import { Reply, V2Client } from '@opencode-kit/core/wire'
import { describe, expect, it } from 'vitest'
import { mergeFinalExchange } from '../../../src/wire/mergeFinalExchange.js'
import * as ResponseParser from '../../../src/wire/parseMessages.js'
import type { V2Http } from '../../../src/wire/v2/V2Client.js'
import { messagesFromV2 } from '../../../src/wire/v2/v2Normalize.js'
import type { V2Event, V2Message } from '../../../src/wire/v2/v2Types.js'

interface Fixture {
  scenario: string
  sessionId: string
  live: V2Event[]
  history: V2Event[]
  messages: { data: V2Message[] }
}

const dir = join(__dirname, '..', '..', 'fixtures', 'opencode-1.18.33-v2')
const load = (name: string): Fixture => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Fixture
const scenarios = readdirSync(dir)
  .filter((file) => file.endsWith('.json') && !file.startsWith('openapi'))
  .map((file) => file.replace(/\.json$/, ''))
const FAKE_PRICES = [{ input: 1, output: 2, cache: { read: 0, write: 0 } }]
const utf8 = new TextEncoder()

interface FakeOptions {
  /** Which live frames each connection sends (default: all on the first, none after). */
  live?: (connection: number, events: V2Event[]) => V2Event[]
  /** Close a connection after sending its frames (default: keep it open). */
  close?: (connection: number) => boolean
  /** What `GET /api/session/active` says. */
  running?: () => boolean
}

/** A `V2Http` serving one fixture: its live frames as SSE, its log, its messages, the fake model's prices. */
function fixtureHttp(fixture: Fixture, options: FakeOptions = {}) {
  const calls: string[] = []
  let connections = 0
  const http: V2Http = {
    clock: systemClock,
    async request(method, path) {
      calls.push(`${method} ${path}`)
      const url = new URL(`http://x${path}`)
      if (url.pathname === '/api/session/active')
        return { data: options.running?.() ? { [fixture.sessionId]: { type: 'running' } } : {} }
      if (url.pathname.endsWith('/history')) {
        const after = Number(url.searchParams.get('after') ?? 0)
        const limit = Number(url.searchParams.get('limit') ?? 100)
        const rest = fixture.history.filter((event) => (event.durable?.seq ?? 0) > after)
        return { data: rest.slice(0, limit), hasMore: rest.length > limit }
      }
      if (method === 'POST' && url.pathname.endsWith('/prompt'))
        return { data: { admittedSeq: 1, id: 'msg_1', sessionID: fixture.sessionId, delivery: 'queue' } }
      if (url.pathname === '/api/model')
        return { data: [{ id: 'fake-model', providerID: 'fake', cost: FAKE_PRICES }] }
      if (url.pathname.endsWith('/permission') || url.pathname.endsWith('/question')) return { data: [] }
      if (url.pathname.endsWith('/message')) {
        const asc = [...fixture.messages.data].reverse()
        return { data: asc, cursor: {} }
      }
      throw new Error(`unexpected ${method} ${path}`)
    },
    async open(path, signal) {
      calls.push(`OPEN ${path}`)
      const connection = ++connections
      const frames = [
        { type: 'server.connected', data: {} },
        ...(options.live ?? ((n, events) => (n === 1 ? events : [])))(
          connection,
          fixture.live.filter((event) => event.type !== 'server.connected'),
        ),
      ]
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const frame of frames) controller.enqueue(utf8.encode(`data: ${JSON.stringify(frame)}\n\n`))
          if (options.close?.(connection)) controller.close()
          signal.addEventListener('abort', () => controller.error(signal.reason), { once: true })
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
    },
  }
  return { http, calls, connections: () => connections }
}

async function drain(client: V2Client, fixture: Fixture, afterSeq?: number) {
  const reply = new Reply()
  const seen: string[] = []
  reply.addObserver({
    sessionErrored: ({ text }) => seen.push(`error ${text}`),
    permissionAsked: ({ request }) => seen.push(`permission ${request.requestId}`),
    permissionReplied: ({ reply: answer }) => seen.push(`permission replied ${answer}`),
    questionAsked: ({ request }) => seen.push(`question ${request.requestId}`),
    questionReplied: ({ answers }) => seen.push(`question replied ${JSON.stringify(answers)}`),
    questionRejected: () => seen.push('question rejected'),
  })
  const events: OpencodeEvent[] = []
  for await (const event of client.events(fixture.sessionId, {
    // As a turn does: prompt once subscribed (the receipt's admittedSeq is where the stream starts).
    ...(afterSeq === undefined
      ? { onceConnected: () => client.prompt(fixture.sessionId, { text: 'prompt' }) }
      : { afterSeq }),
    deadlines: { overallMs: 10_000, firstEventMs: 10_000 },
  })) {
    events.push(event)
    reply.apply(event)
  }
  return { reply, seen, events }
}

const seqsOf = (events: OpencodeEvent[]) => [
  ...new Set(events.flatMap((e) => (e.seq === undefined ? [] : [e.seq]))),
]
const logSeqs = (fixture: Fixture) => fixture.history.map((event) => event.durable?.seq)
const stepsOf = (fixture: Fixture) =>
  fixture.history.filter((e) => e.type === 'session.next.step.ended').length

describe.each(scenarios)('v2 transport replays %s (real 1.18.33)', (name) => {
  const fixture = load(name)
  const polled = () =>
    messagesFromV2(fixture.sessionId, [...fixture.messages.data].reverse(), {
      pricesOf: () => FAKE_PRICES,
    })

  it('yields every durable event once, in order, then a synthetic idle', async () => {
    const { events } = await drain(new V2Client(fixtureHttp(fixture).http), fixture)
    expect(seqsOf(events)).toEqual(logSeqs(fixture))
    expect(events.at(-1)).toEqual({
      type: 'session.status',
      properties: { sessionID: fixture.sessionId, status: { type: 'idle' } },
    })
    expect(events[0]?.type).toBe('server.connected')
  })

  it('streams the reply the polled messages give (text, reasoning, tools), cost from the model prices', async () => {
    const { reply } = await drain(new V2Client(fixtureHttp(fixture).http), fixture)
    const finalExchange = mergeFinalExchange(reply.parts, polled())
    expect(Reply.distill(finalExchange).fullText).toBe(reply.result.fullText)
    expect(reply.result.reasoningText).toBe(Reply.distill(finalExchange).reasoningText)
    expect(reply.result.toolParts.map((p) => [p.tool, p.status])).toEqual(
      Reply.distill(finalExchange).toolParts.map((p) => [p.tool, p.status]),
    )
    // 10 input + 5 output tokens per step at $1 / $2 per million: 2e-5 (what v1 reports).
    expect(reply.totalCost).toBeCloseTo(stepsOf(fixture) * 2e-5, 12)
    expect(reply.totalInputTokens).toBe(stepsOf(fixture) * 10)
    expect(reply.promptBlocked).toBe(false)
  })

  it('the same reply when the live stream drops every durable event (all from the log)', async () => {
    const full = await drain(new V2Client(fixtureHttp(fixture).http), fixture)
    const gappy = await drain(
      new V2Client(
        fixtureHttp(fixture, { live: (n, events) => (n === 1 ? events.filter((e) => !e.durable) : []) }).http,
      ),
      fixture,
    )
    expect(seqsOf(gappy.events)).toEqual(logSeqs(fixture))
    expect(gappy.reply.result.fullText).toBe(full.reply.result.fullText)
    expect(gappy.reply.totalCost).toBeCloseTo(full.reply.totalCost, 12)
  })

  it('a dropped connection resumes from the log: nothing durable lost, nothing twice', async () => {
    // Cut before any event that ends a run, so the stream must reconnect to finish.
    const fake = fixtureHttp(fixture, {
      live: (n, events) => (n === 1 ? events.slice(0, 2) : []),
      close: (n) => n === 1,
    })
    const { events, reply } = await drain(new V2Client(fake.http), fixture)
    expect(fake.connections()).toBe(2)
    expect(events.filter((e) => e.type === 'server.connected')).toHaveLength(2)
    expect(seqsOf(events)).toEqual(logSeqs(fixture))
    expect(reply.totalInputTokens).toBe(stepsOf(fixture) * 10)
  })
})

describe('v2 transport: scenario details (real 1.18.33)', () => {
  const run = async (name: string) => {
    const fixture = load(name)
    return { fixture, ...(await drain(new V2Client(fixtureHttp(fixture).http), fixture)) }
  }

  it('plain text: the final text, user prompt parts kept out of the reply', async () => {
    const { reply } = await run('plain-text')
    expect(reply.result.fullText).toBe('All done from the fake model.')
    expect(reply.parts).toHaveLength(1)
  })

  it('reasoning: its own part before the text', async () => {
    const { reply } = await run('reasoning')
    expect(reply.result.reasoningText).toBe('Thinking it through.')
    expect(reply.parts.map((p) => p.type)).toEqual(['reasoning', 'text'])
  })

  it('multi-step: every step summed (4 steps: 3 tools and the final text)', async () => {
    const { reply } = await run('multi-step')
    expect(reply.result.toolParts.map((p) => [p.tool, p.status, p.output])).toEqual([
      ['bash', 'completed', 'step1\nCommand exited with code 0.'],
      ['bash', 'completed', 'step2\nCommand exited with code 0.'],
      ['bash', 'completed', 'step3\nCommand exited with code 0.'],
    ])
    expect(reply.totalCost).toBeCloseTo(8e-5, 12)
    expect(reply.totalOutputTokens).toBe(20)
  })

  it('todowrite: the tool part carries the todos', async () => {
    const { reply } = await run('todowrite')
    const todo = reply.result.toolParts.find((p) => p.tool === 'todowrite')
    expect((todo?.input?.todos as unknown[])?.length).toBe(2)
  })

  it('write: the artifact is found in the v2 messages (path → filePath)', async () => {
    const { fixture } = await run('write-tool')
    const messages = messagesFromV2(fixture.sessionId, [...fixture.messages.data].reverse())
    const artifacts = ResponseParser.extractArtifactsFromMessages(messages)
    expect(artifacts.map((a: { filename: string; content: string }) => [a.filename, a.content])).toEqual([
      ['notes.md', '# notes.md\n\nWritten by the fake model.\n'],
    ])
  })

  it('LLM 400: an APIError with the status parsed from the message', async () => {
    const { seen, fixture } = await run('llm-400')
    expect(seen.filter((s) => s.startsWith('error'))).toEqual([
      expect.stringMatching(/^error APIError: Provider request failed with HTTP 400/),
    ])
    const last = messagesFromV2(fixture.sessionId, [...fixture.messages.data].reverse()).at(-1)
    expect(ResponseParser.extractError(last)).toMatchObject({
      name: 'APIError',
      statusCode: 400,
      retryable: false,
    })
  })

  it('LLM 500: v2 on 1.18.33 fails the step at once (no retries), a retryable APIError', async () => {
    const { seen, events } = await run('llm-500-retries')
    expect(
      events.some(
        (e) => e.type === 'session.status' && JSON.stringify(e.properties.status).includes('retry'),
      ),
    ).toBe(false)
    expect(seen).toEqual([expect.stringMatching(/^error APIError: Provider request failed with HTTP 500/)])
  })

  it('interrupt: MessageAbortedError, the text so far kept', async () => {
    const { seen, reply } = await run('interrupt-mid-stream')
    expect(seen).toEqual(['error MessageAbortedError: Provider turn interrupted'])
    expect(reply.result.fullText).toMatch(/^streaming streaming/)
  })

  it('permission asked and replied (the v2 events under the legacy names)', async () => {
    const { seen } = await run('permission-ask')
    expect(seen).toEqual([expect.stringMatching(/^permission per_/), 'permission replied once'])
  })

  it('permission rejected: the tool fails, the run ends without a step event', async () => {
    const { reply, events } = await run('permission-reject')
    expect(reply.result.toolParts.map((p) => [p.tool, p.status])).toEqual([['bash', 'error']])
    expect(events.at(-1)?.properties.status).toEqual({ type: 'idle' })
  })

  it('question answered and rejected', async () => {
    expect((await run('question-answered')).seen).toEqual([
      expect.stringMatching(/^question que_/),
      'question replied [["Blue"]]',
    ])
    expect((await run('question-rejected')).seen).toEqual([
      expect.stringMatching(/^question que_/),
      'question rejected',
    ])
  })

  it('resume after a seq: only the later events, then idle', async () => {
    const fixture = load('multi-step')
    const { events } = await drain(new V2Client(fixtureHttp(fixture, { live: () => [] }).http), fixture, 20)
    expect(seqsOf(events)).toEqual([21, 22, 23, 24])
    expect(events.at(-1)?.properties.status).toEqual({ type: 'idle' })
  })

  it('a session still running is not ended by a settled step: the stream waits for /api/session/active', async () => {
    const fixture = load('plain-text')
    let polls = 0
    const fake = fixtureHttp(fixture, { running: () => ++polls < 3 })
    const { events } = await drain(new V2Client(fake.http), fixture)
    expect(polls).toBe(3)
    expect(events.at(-1)?.properties.status).toEqual({ type: 'idle' })
  })
})

describe('v2 transport through Client: the URLs it sends', () => {
  it('a route with its own query keeps it as a query (base URL prefix and query preserved)', async () => {
    const seen: string[] = []
    const { Client } = await import('@opencode-kit/core')
    const client = new Client({
      api: 'v2',
      baseUrl: 'http://opencode.test/proxy/?token=abc',
      directory: '/srv/a',
      fetch: async (input, init) => {
        seen.push(`${String(input)} ${new Headers(init?.headers).get('x-opencode-directory')}`)
        return new Response(JSON.stringify({ data: [], cursor: {} }), {
          headers: { 'content-type': 'application/json' },
        })
      },
    })
    await client.getMessages('ses_1')
    expect(seen).toEqual([
      'http://opencode.test/proxy/api/session/ses_1/message?token=abc&order=asc&limit=100 /srv/a',
    ])
  })
})
