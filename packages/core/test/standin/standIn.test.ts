import { readFileSync } from 'node:fs'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, type OpencodeEvent, ServerError, SessionNotFoundError } from '../../src/index.js'
import { OpencodeStandIn, scenario } from '../../src/testing/index.js'
import { standInHandlers } from '../../src/testing/msw/index.js'
import { Reply } from '../../src/wire/index.js'
import { followSession } from '../wire/sse.js'

const BASE = 'http://standin.test'
let standIn = new OpencodeStandIn({ heartbeatMs: 0 })
const server = setupServer(
  ...standInHandlers({ handle: (request: Request) => standIn.handle(request) } as OpencodeStandIn, {
    baseUrl: BASE,
  }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  standIn.close()
  standIn = new OpencodeStandIn({ heartbeatMs: 0 })
})
afterAll(() => server.close())

const client = () => new Client({ baseUrl: BASE })

/** Stream one prompt through the real Client and Reply, recording every event. */
async function stream(text: string, options: { observer?: Parameters<Reply['addObserver']>[0] } = {}) {
  const c = client()
  const session = await c.createSession({ title: 'test' })
  const reply = new Reply()
  if (options.observer) reply.addObserver(options.observer)
  const events: OpencodeEvent[] = []
  await followSession(
    c,
    {
      sessionId: session.id,
      reply,
      reconnectDelayMs: 0,
      onSubscribed: async () => {
        await c.prompt(session.id, { text: text })
        return true
      },
    },
    (event) => {
      events.push(event)
      reply.apply(event)
    },
  )
  const messages = await c.getMessages(session.id)
  return { c, session, reply, events, messages }
}

const types = (events: { type: string }[]) => events.map((e) => e.type)

describe('OpencodeStandIn over MSW with the real Client', () => {
  it('default reply: quotes the prompt, costs something, one session and one prompt', async () => {
    const { reply, messages } = await stream('Hello there')
    expect(reply.result.fullText).toBe('You said: Hello there')
    expect(reply.totalCost).toBeCloseTo(0.0001)
    expect(messages.map((m) => m.info?.role)).toEqual(['user', 'assistant'])
    expect(messages[1]?.info).toMatchObject({ finish: 'stop', cost: 0.0001 })
    expect(standIn.stats).toMatchObject({ sessionsCreated: 1, prompts: 1 })
  })

  it('the user text part is on the stream, and the Reply keeps it out of the assistant text', async () => {
    standIn.enqueue(scenario().text('Hello!'))
    const { events, reply } = await stream('Say hi')
    const userPart = events.find(
      (e) =>
        e.type === 'message.part.updated' &&
        (e.properties as { part: { text?: string } }).part.text === 'Say hi',
    )
    expect(userPart).toBeDefined()
    expect(reply.result.fullText).toBe('Hello!')
  })

  it('a tool loop is one assistant message per step; cost summed over step-finishes; write adds a patch part', async () => {
    standIn.enqueue(
      scenario()
        .cost(0.1, { input: 100, output: 10 })
        .write('/p/notes.md', '# Notes')
        .tool('bash', { input: { command: 'ls' }, output: 'notes.md' })
        .text('All done.')
        .cost(0.2, { input: 200, output: 20 }),
    )
    const { reply, messages } = await stream('go')
    const assistants = messages.filter((m) => m.info?.role === 'assistant')
    expect(assistants.map((m) => m.info?.finish)).toEqual(['tool-calls', 'tool-calls', 'stop'])
    expect(assistants[0]?.parts?.map((p) => p.type)).toEqual(['step-start', 'tool', 'step-finish', 'patch'])
    expect(reply.result.toolParts.map((p) => [p.tool, p.status])).toEqual([
      ['write', 'completed'],
      ['bash', 'completed'],
    ])
    expect(reply.result.fullText).toBe('All done.')
    expect(reply.totalCost).toBeCloseTo(0.3)
    expect(reply.totalInputTokens).toBe(300)
  })

  it('reasoning deltas say field "text" (as on the real server) and still become reasoning', async () => {
    standIn.enqueue(scenario().reasoning('Thinking hard.').text('Answer.'))
    const { reply, events } = await stream('q')
    const deltas = events.filter((e) => e.type === 'message.part.delta')
    expect(new Set(deltas.map((e) => (e.properties as { field: string }).field))).toEqual(new Set(['text']))
    expect(reply.result.reasoningText).toBe('Thinking hard.')
    expect(reply.result.fullText).toBe('Answer.')
  })

  it('todos: the todowrite tool and a todo.updated event', async () => {
    standIn.enqueue(
      scenario()
        .todo([{ content: 'Book hotel', status: 'in_progress' }])
        .text('Planned.'),
    )
    const { events, reply } = await stream('plan')
    expect(types(events)).toContain('todo.updated')
    const todo = reply.parts.find((p) => p.type === 'tool' && p.tool === 'todowrite')
    expect(todo).toBeDefined()
  })

  it('an LLM 400: session.error APIError, info.error on the assistant, no parts, then idle', async () => {
    standIn.enqueue(scenario().llmError({ statusCode: 400, message: 'bad request' }))
    let errored = ''
    const { messages, events } = await stream('fail', {
      observer: { sessionErrored: ({ text }) => (errored = text) },
    })
    expect(errored).toBe('APIError: bad request')
    expect(messages[1]?.info?.error).toMatchObject({ name: 'APIError', data: { statusCode: 400 } })
    expect(messages[1]?.parts).toEqual([])
    expect(types(events).slice(-2)).toEqual(['session.error', 'session.status']) // the client stops at idle
  })

  it('retries are session.status retry events the observers see', async () => {
    standIn.enqueue(scenario().retry(3).text('Finally.'))
    const attempts: (number | undefined)[] = []
    await stream('x', { observer: { sessionRetried: ({ attempt }) => attempts.push(attempt) } })
    expect(attempts).toEqual([1, 2, 3])
  })

  it('disconnectAfter: the Client reconnects, the reply is complete, the prompt was sent once', async () => {
    standIn.enqueue(scenario().text('one two three four five six').disconnectAfter(5))
    const { reply } = await stream('x')
    expect(reply.result.fullText).toBe('one two three four five six')
    expect(standIn.stats.prompts).toBe(1)
    expect(standIn.stats.eventStreamsOpened).toBeGreaterThanOrEqual(2)
  })

  it('abort mid-turn: MessageAbortedError, idle, the text so far kept with info.error', async () => {
    standIn.enqueue(scenario().text('partial words').stall())
    const c = client()
    const session = await c.createSession()
    const reply = new Reply()
    let errored = ''
    reply.addObserver({ sessionErrored: ({ text }) => (errored = text) })
    await followSession(
      c,
      {
        sessionId: session.id,
        reply,
        onSubscribed: async () => {
          await c.prompt(session.id, { text: 'go' })
          return true
        },
      },
      async (event) => {
        reply.apply(event)
        if (event.type === 'message.part.delta' && reply.result.fullText === 'partial words')
          await c.abortSession(session.id)
      },
    )
    expect(errored).toBe('MessageAbortedError: Aborted')
    const [, assistant] = await c.getMessages(session.id)
    expect(assistant?.info?.error).toMatchObject({ name: 'MessageAbortedError' })
    expect(assistant?.parts?.find((p) => p.type === 'text')?.text).toBe('partial words')
    expect(standIn.stats.sessionsAborted).toBe(1)
  })

  it('a client-chosen messageID is the user message id; a repeated one runs nothing again but appends the text (as 1.18.33 does)', async () => {
    const c = client()
    const session = await c.createSession({ title: 'ids' })
    const messageId = 'msg_0123456789abAAAAAAAAAAAAAA'
    const reply = new Reply()
    await followSession(
      c,
      {
        sessionId: session.id,
        reply,
        reconnectDelayMs: 0,
        onSubscribed: async () => {
          await c.prompt(session.id, { text: 'once', messageId })
          return true
        },
      },
      (event) => reply.apply(event),
    )
    await c.prompt(session.id, { text: 'once', messageId })
    await standIn.idle()
    const messages = await c.getMessages(session.id)
    expect(messages.map((m) => m.info?.role)).toEqual(['user', 'assistant'])
    expect(messages[0]?.info?.id).toBe(messageId)
    expect(messages[1]?.info).toMatchObject({ parentID: messageId })
    expect(messages[0]?.parts?.map((p) => p.text)).toEqual(['once', 'once'])
    expect(standIn.stats).toMatchObject({ prompts: 2, repeatedPromptIds: 1 })
  })

  it('forgetSession: the session is gone upstream (404 → SessionNotFoundError)', async () => {
    const c = client()
    const { id } = await c.createSession()
    standIn.forgetSession(id)
    await expect(c.getMessages(id)).rejects.toBeInstanceOf(SessionNotFoundError)
    await expect(c.prompt(id, { text: 'x' })).rejects.toBeInstanceOf(SessionNotFoundError)
    expect(await c.abortSession(id)).toBe(true) // abort answers true even for an unknown session
  })

  it('failNext and failPromptWith inject HTTP failures', async () => {
    const c = client()
    const { id } = await c.createSession()
    standIn.failNext('GET', /\/message$/, 500)
    await expect(c.getMessages(id)).rejects.toBeInstanceOf(ServerError)
    expect(await c.getMessages(id)).toEqual([])
    standIn.enqueue(scenario().failPromptWith(500, { name: 'UnknownError', data: { message: 'boom' } }))
    await expect(c.prompt(id, { text: 'x' })).rejects.toBeInstanceOf(ServerError)
    expect(standIn.stats.prompts).toBe(1)
  })

  it('a permission request pauses the turn until the client replies', async () => {
    standIn.enqueue(
      scenario()
        .permission('bash', ['ls'])
        .tool('bash', { input: { command: 'ls' } })
        .text('Listed.'),
    )
    const c = client()
    const { reply } = await stream('list', {
      observer: {
        permissionAsked: ({ request }) =>
          void c.replyPermission({ requestId: request.requestId, reply: 'once' }),
      },
    })
    expect(reply.result.fullText).toBe('Listed.')
    expect(reply.promptBlocked).toBe(false)
  })
})

describe('stand-in shapes match the recorded opencode 1.18.33 streams', () => {
  const fixture = (name: string) =>
    JSON.parse(
      readFileSync(new URL(`../fixtures/opencode-1.18.33/${name}.json`, import.meta.url), 'utf8'),
    ) as {
      events: OpencodeEvent[]
    }
  // Bookkeeping the stand-in does not reproduce: session title/diff updates and repeated busy/user echoes.
  const essential = (events: OpencodeEvent[]) => {
    const out: string[] = []
    for (const e of events) {
      if (
        [
          'session.created',
          'session.updated',
          'session.diff',
          'server.connected',
          'server.heartbeat',
        ].includes(e.type)
      )
        continue
      if (
        e.type === 'session.status' &&
        (e.properties as { status?: { type?: string } }).status?.type === 'busy'
      )
        continue
      const p = e.properties as {
        info?: { role?: string }
        part?: { type?: string; state?: { status?: string } }
        status?: { type?: string }
      }
      if (e.type === 'message.updated' && p.info?.role === 'user' && out.includes('message.updated:user'))
        continue
      const key =
        e.type === 'message.part.updated'
          ? `part:${p.part?.type}${p.part?.state?.status ? `:${p.part.state.status}` : ''}`
          : e.type === 'message.updated'
            ? `message.updated:${p.info?.role}`
            : e.type === 'session.status'
              ? `status:${p.status?.type}`
              : e.type
      if (out.at(-1) === key && (key.startsWith('status:') || key === 'message.part.delta')) continue
      out.push(key)
    }
    // The client stops at the first idle status; compare up to there.
    return out.slice(0, out.indexOf('status:idle') + 1)
  }

  for (const [name, make] of [
    ['plain-text', () => scenario().text('All done from the fake model.')],
    ['write-tool', () => scenario().write('notes.md', '# notes').text('All done from the fake model.')],
  ] as const) {
    it(`${name}: the same event kinds in the same order`, async () => {
      standIn.enqueue(make())
      const { events } = await stream('x')
      expect(essential(events)).toEqual(essential(fixture(name).events))
    })
  }
})

describe('OpencodeStandIn: directories (like the real server, an event stream carries its directory only)', () => {
  // The event stream is read straight from the stand-in's handle(Request) → Response: MSW delivers
  // a raw fetch's open SSE body only on Node 20.
  it('a session lives in the directory it was created in; /event?directory= carries only that directory’s events', async () => {
    const inA = new Client({ api: 'v1', baseUrl: BASE, directory: '/srv/a' })
    const inB = new Client({ api: 'v1', baseUrl: BASE, directory: '/srv/b' })
    const a = await inA.createSession()
    const b = await inB.createSession()
    expect(a.directory).toBe('/srv/a')
    const response = await standIn.handle(
      new Request(`${BASE}/event?directory=${encodeURIComponent('/srv/a')}`),
    )
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const utf8 = new TextDecoder()
    await inB.prompt(b.id, { text: 'for b' })
    await standIn.idle()
    await inA.prompt(a.id, { text: 'for a' })
    await standIn.idle()
    const sessions = new Set<string>()
    let text = ''
    while (!text.includes('"session.idle"'))
      text += utf8.decode((await reader.read()).value, { stream: true })
    await reader.cancel()
    for (const line of text.split('\n'))
      if (line.startsWith('data: ')) {
        const id = (JSON.parse(line.slice(6)) as OpencodeEvent).properties.sessionID
        if (id) sessions.add(String(id))
      }
    expect(sessions).toEqual(new Set([a.id]))
  })
})
