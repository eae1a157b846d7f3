import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  Client,
  ConfigurationError,
  createOpencodeKit,
  type ErrorHook,
  type OpencodeEvent,
  type OpencodeKitOptions,
  type TurnEvent,
} from '../../src/index.js'
import { MemoryMessagePort, MemoryRecordPort } from '../../src/testing/index.js'
import { assistantMessage, delta, FakeTurnClient, idle, userMessage } from './support/fakeTurnClient.js'

afterEach(() => {
  vi.restoreAllMocks()
})

function setup(options: Partial<OpencodeKitOptions> = {}) {
  const records = new MemoryRecordPort()
  const messages = new MemoryMessagePort()
  const client = new FakeTurnClient()
  const subject = records.insert({ title: 'Trip', opencodeSessionId: 'ses_turn_test' })
  const message = messages.insert()
  client.after = [
    userMessage('ping'),
    assistantMessage({ text: 'pong', cost: 0.01, tokens: { input: 2, output: 1 } }),
  ]
  client.steps = [delta('po'), delta('ng'), idle()]
  const errors: unknown[] = []
  const onError: ErrorHook = (error) => {
    errors.push(error)
  }
  const kit = createOpencodeKit({
    client,
    records,
    messages,
    permissions: 'server-defaults',
    onError,
    tuning: { emptyStreamRetryDelayMs: 0, finalExchangeTimeoutMs: 0, finalExchangeRetryDelayMs: 0 },
    ...options,
  })
  return { kit, records, messages, client, subject, message, errors }
}

async function collect(events: AsyncIterable<TurnEvent>): Promise<TurnEvent[]> {
  const seen: TurnEvent[] = []
  for await (const event of events) seen.push(event)
  return seen
}

describe('createOpencodeKit: configuration', () => {
  it('a kit without a permission policy is a configuration error (issue 16 #6)', () => {
    const records = new MemoryRecordPort()
    const messages = new MemoryMessagePort()
    const options = { client: 'http://127.0.0.1:4096', records, messages } as unknown as OpencodeKitOptions
    expect(() => createOpencodeKit(options)).toThrow(ConfigurationError)
    expect(() => createOpencodeKit({ ...options, permissions: 'everything' } as never)).toThrow(
      /permission policy/,
    )
  })

  it('ports that are not ports, and a client that is not one, are configuration errors', () => {
    const records = new MemoryRecordPort()
    const messages = new MemoryMessagePort()
    expect(() =>
      createOpencodeKit({
        client: 'http://x',
        records: {} as never,
        messages,
        permissions: 'server-defaults',
      }),
    ).toThrow(/`records` is not a port \(missing load, withLock, setSessionId\)/)
    expect(() =>
      createOpencodeKit({ client: 42 as never, records, messages, permissions: 'server-defaults' }),
    ).toThrow(ConfigurationError)
  })

  it('a base URL becomes a Client', () => {
    const kit = createOpencodeKit({
      client: 'http://127.0.0.1:4096',
      records: new MemoryRecordPort(),
      messages: new MemoryMessagePort(),
      permissions: 'server-defaults',
    })
    expect(kit.client).toBeInstanceOf(Client)
    expect((kit.client as Client).baseUrl).toBe('http://127.0.0.1:4096')
  })

  it('rules and functions of the subject reach the created session', async () => {
    const rules = [{ permission: 'read', pattern: '*', action: 'allow' as const }]
    const { kit, records, client } = setup({
      permissions: (subject) => (subject.title === 'Trip' ? rules : []),
    })
    const created: unknown[] = []
    client.createSession = async (input?: { permissions?: unknown }) => {
      created.push(input?.permissions)
      return { id: 'ses_new_1' }
    }
    const subject = records.insert({ title: 'Trip' })
    const session = await kit.session(subject.id)
    expect(await session.ensure()).toEqual({ id: 'ses_new_1', created: true })
    expect(created).toEqual([rules])
  })
})

describe('kit.runTurn / kit.startTurn', () => {
  it('runTurn: the result narrows on status and carries the row, the duration and the summed usage', async () => {
    const { kit, subject, message } = setup()
    const result = await kit.runTurn({ subjectId: subject.id, messageId: message.id, prompt: 'ping' })
    expect(result.status).toBe('completed')
    if (result.status !== 'completed') throw new Error('unreachable')
    expect(result.message).toMatchObject({ status: 'completed', content: 'pong', cost: 0.01 })
    expect(result.usage).toEqual({
      cost: 0.01,
      inputTokens: 2,
      outputTokens: 1,
      reasoningTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    })
    expect(result.durationMs).toBeGreaterThanOrEqual(0)
    expect('error' in result).toBe(false)
  })

  it('startTurn: start first, deltas, finish last; seq 1, 2, 3…; JSON-safe', async () => {
    const { kit, subject, message } = setup()
    const turn = kit.startTurn({ subjectId: subject.id, messageId: message.id, prompt: 'ping' })
    const events = await collect(turn.events)
    const result = await turn.result
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    expect(events[0]).toEqual({
      type: 'start',
      seq: 1,
      version: 1,
      messageId: message.id,
      sessionId: 'ses_turn_test',
      created: false,
    })
    const text = events.flatMap((e) => (e.type === 'text-delta' ? [e.text] : [])).join('')
    expect(text).toBe('pong')
    expect(events.at(-1)).toMatchObject({
      type: 'finish',
      status: 'completed',
      content: 'pong',
      usage: result.usage,
      durationMs: result.durationMs,
    })
    expect(JSON.parse(JSON.stringify(events))).toEqual(events)
  })

  it('the turn runs whether or not anyone iterates, and a consumer that breaks early stops only its events', async () => {
    const { kit, subject, message, messages } = setup()
    const never = kit.startTurn({ subjectId: subject.id, messageId: message.id, prompt: 'ping' })
    expect((await never.result).status).toBe('completed')

    const other = messages.insert()
    const turn = kit.startTurn({ subjectId: subject.id, messageId: other.id, prompt: 'ping' })
    for await (const event of turn.events) if (event.type === 'start') break
    expect((await turn.result).status).toBe('completed')
    expect((await messages.load(other.id)).content).toBe('pong')
  })

  it('a slow consumer never stalls the turn: the result resolves while the consumer has read one event', async () => {
    const { kit, subject, message, client } = setup()
    client.steps = [...Array.from({ length: 500 }, (_, i) => delta(`${i} `)), idle()]
    client.after = [
      userMessage('ping'),
      assistantMessage({ text: Array.from({ length: 500 }, (_, i) => `${i} `).join('') }),
    ]
    const turn = kit.startTurn({ subjectId: subject.id, messageId: message.id, prompt: 'ping' })
    const iterator = turn.events[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toMatchObject({ type: 'start' })
    const result = await turn.result // the consumer is still at event 1
    expect(result.status).toBe('completed')
    const rest: TurnEvent[] = []
    for (;;) {
      const next = await iterator.next()
      if (next.done) break
      rest.push(next.value)
    }
    // 500 deltas waited in the buffer as one merged delta.
    expect(rest.filter((e) => e.type === 'text-delta')).toHaveLength(1)
    expect(rest.map((e) => e.seq)).toEqual(rest.map((_, i) => i + 2))
    expect(rest.at(-1)?.type).toBe('finish')
  })

  it('a recreated session resets the view: restart with the new session id, then the new reply', async () => {
    const { kit, subject, message, client } = setup()
    client.missing.add('ses_turn_test')
    const turn = kit.startTurn({ subjectId: subject.id, messageId: message.id, prompt: 'ping' })
    const events = await collect(turn.events)
    const types = events.map((e) => e.type).filter((type, i, all) => type !== all[i - 1])
    expect(types).toEqual(['start', 'restart', 'text-delta', 'finish'])
    expect(events[1]).toMatchObject({ reason: 'session-recreated', sessionId: 'ses_new_1' })
    expect(events.flatMap((e) => (e.type === 'text-delta' ? [e.text] : [])).join('')).toBe('pong')
  })

  it('a final part that repairs a dropped tail delta sends the missing suffix; a different text restarts the view', async () => {
    const part = (text: string): OpencodeEvent => ({
      type: 'message.part.updated',
      properties: {
        sessionID: 'ses_turn_test',
        part: { id: 'prt_text', type: 'text', text, messageID: 'msg_assistant', sessionID: 'ses_turn_test' },
      },
    })
    const repaired = setup()
    repaired.client.steps = [delta('po'), part('pong'), idle()]
    const a = repaired.kit.startTurn({
      subjectId: repaired.subject.id,
      messageId: repaired.message.id,
      prompt: 'ping',
    })
    expect(
      (await collect(a.events)).filter((e) => e.type === 'text-delta').map((e) => e.seq && e.text),
    ).toEqual(['po', 'ng'])

    const replaced = setup()
    replaced.client.steps = [delta('pi'), part('pong'), idle()]
    const b = replaced.kit.startTurn({
      subjectId: replaced.subject.id,
      messageId: replaced.message.id,
      prompt: 'ping',
    })
    const events = await collect(b.events)
    expect(events.map((e) => e.type)).toEqual(['start', 'text-delta', 'restart', 'text-delta', 'finish'])
    expect(events[3]).toMatchObject({ type: 'text-delta', partId: '0', text: 'pong' })
  })

  it('default error reporting is visible: an unreachable server prints one concise warning with the error and the turn (issue 16 #5)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const records = new MemoryRecordPort()
    const messages = new MemoryMessagePort()
    const kit = createOpencodeKit({
      client: new Client({ baseUrl: 'http://127.0.0.1:1' }),
      records,
      messages,
      permissions: 'server-defaults',
    })
    const subject = records.insert({ title: 'no server' })
    const message = messages.insert()
    const result = await kit.runTurn({ subjectId: subject.id, messageId: message.id, prompt: 'hi' })
    expect(result.status).toBe('failed')
    expect(warn).toHaveBeenCalled()
    const line = String(warn.mock.calls[0]?.[0])
    expect(line).toMatch(/^\[opencode-kit\] opencode\.turn: ConnectionError: /)
    expect(line).toContain(`messageId=${message.id}`)
  })

  it('per-turn onTurnFinished runs after the kit-level one, once each; both may be async', async () => {
    const order: string[] = []
    const { kit, subject, message } = setup({
      onTurnFinished: async (result) => {
        await Promise.resolve()
        order.push(`kit:${result.status}`)
      },
    })
    await kit.runTurn({
      subjectId: subject.id,
      messageId: message.id,
      prompt: 'ping',
      onTurnFinished: (result) => {
        order.push(`turn:${result.status}`)
      },
    })
    expect(order).toEqual(['kit:completed', 'turn:completed'])
  })

  it('a missing subject row ends the turn failed with a typed not-found error', async () => {
    const { kit, message } = setup()
    const result = await kit.runTurn({ subjectId: 999, messageId: message.id, prompt: 'ping' })
    expect(result.status).toBe('failed')
    expect(result.status === 'failed' && (result.error as { code?: string }).code).toBe('not_found')
  })
})
