// Issue 15, host items 13–20: each test fails on the code before its fix.
import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { MessagePort } from '../../src/adapter/index.js'
import {
  PersistenceError,
  runTurn,
  Session,
  startTurn,
  type TurnOptions,
  type TurnResult,
} from '../../src/index.js'
import {
  ManualClock,
  MemoryMessagePort,
  MemoryRecordPort,
  OpencodeStandIn,
  scenario,
} from '../../src/testing/index.js'
import { type OpencodeMessage, Reply } from '../../src/wire/index.js'
import {
  assistantMessage,
  delta,
  FakeTurnClient,
  heartbeat,
  idle,
  userMessage,
} from './support/fakeTurnClient.js'

const reports: { error: unknown; context: Record<string, unknown> }[] = []
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason)
}
beforeEach(() => {
  reports.length = 0
  unhandled.length = 0
  process.on('unhandledRejection', onUnhandled)
})
afterEach(() => {
  process.off('unhandledRejection', onUnhandled)
})
const onError: NonNullable<TurnOptions['onError']> = (error, context) => {
  reports.push({ error, context })
}

/** Lets every pending promise (and a rejection's `unhandledRejection`) settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

/** Query "ping", answer "pong", every delay 0 (the Turn.test world). */
function world(overrides: Partial<TurnOptions> = {}) {
  const records = new MemoryRecordPort()
  const subject = records.insert({ title: 'Audit', opencodeSessionId: 'ses_turn_test' })
  const store = new MemoryMessagePort()
  const message = store.insert()
  const client = new FakeTurnClient()
  client.after = [userMessage('ping'), assistantMessage({ text: 'pong', cost: 0.01 })]
  client.steps = [delta('pong'), idle()]
  const session = new Session({ subject, records, client, permissions: 'server-defaults', onError })
  const finished: TurnResult[] = []
  const traces: string[] = []
  const clock = new ManualClock()
  const options = (more: Partial<TurnOptions> = {}): TurnOptions => ({
    messageId: message.id,
    messages: store,
    session,
    client,
    prompt: 'ping',
    onError,
    onTrace: (name) => {
      traces.push(name)
    },
    onTurnFinished: (result) => {
      finished.push(result)
    },
    emptyStreamRetryDelayMs: 0,
    finalExchangeTimeoutMs: 0,
    finalExchangeRetryDelayMs: 0,
    terminalWriteRetryDelayMs: 0,
    clock,
    ...overrides,
    ...more,
  })
  return { store, message, client, finished, traces, clock, options }
}

/** A message port whose named methods throw `failures` times (or always), then work. */
function failing(
  store: MessagePort,
  methods: (keyof MessagePort)[],
  failures = Number.POSITIVE_INFINITY,
): MessagePort & { calls: Record<string, number> } {
  const calls: Record<string, number> = {}
  const port = Object.create(store) as MessagePort & { calls: Record<string, number> }
  port.calls = calls
  for (const method of methods) {
    const original = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store)
    ;(port as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      calls[method] = (calls[method] ?? 0) + 1
      if (calls[method] <= failures) throw new Error(`db down (${method})`)
      return original(...args)
    }
  }
  return port
}

describe('issue 15 host items', () => {
  it('issue 15 #13: a Reply observer whose promise rejects is reported, never an unhandled rejection', async () => {
    const reply = new Reply({ onError })
    reply.addObserver({
      partChanged: (async () => {
        throw new Error('websocket gone')
      }) as () => void,
    })
    reply.apply(delta('hello'))
    await settle()
    expect(unhandled).toEqual([])
    expect(reports.map((r) => [(r.error as Error).message, r.context.action])).toEqual([
      ['websocket gone', 'observer'],
    ])
  })

  it('issue 15 #13: an async tracer, onError hook and callbacks that reject never crash the turn', async () => {
    const w = world({
      onTrace: async () => {
        throw new Error('redis publish failed')
      },
      onError: async () => {
        throw new Error('sentry down')
      },
      onTurnFinished: async (result) => {
        w.finished.push(result)
        throw new Error('websocket gone')
      },
      onFinalized: async () => {
        throw new Error('hook failed')
      },
      releaseConnections: async () => {
        throw new Error('pool gone')
      },
    })
    const errors: unknown[] = []
    const consoleError = console.error
    console.error = (...args: unknown[]) => void errors.push(args)
    try {
      const result = await runTurn(w.options())
      await settle()
      expect(result.status).toBe('completed')
    } finally {
      console.error = consoleError
    }
    expect(unhandled).toEqual([])
    expect(w.finished.map((r) => r.status)).toEqual(['completed'])
    expect((await w.store.load(w.message.id)).status).toBe('completed')
    expect(errors.length).toBeGreaterThan(0) // the failing onError hook is written to console.error
  })

  it('issue 15 #14: a throwing trace hook never runs onTurnFinished twice nor reports a completed turn as failed', async () => {
    for (const failOn of ['turn.finished', 'stream.completed', 'response.started', '*']) {
      const w = world()
      const handle = startTurn(
        w.options({
          onTrace: (name) => {
            if (failOn === '*' || name === failOn) throw new Error(`tracer broke on ${name}`)
          },
        }),
      )
      const events: string[] = []
      for await (const event of handle.events) if (event.type === 'finish') events.push(event.status)
      const result = await handle.result
      expect([failOn, result.status]).toEqual([failOn, 'completed'])
      expect([failOn, w.finished.map((r) => r.status)]).toEqual([failOn, ['completed']])
      expect(events).toEqual(['completed'])
    }
  })

  it('issue 15 #15: when messages.cancel throws once, upstream is still aborted and the turn ends cancelled once', async () => {
    const w = world()
    const stop = new AbortController()
    w.client.steps = [delta('half an ans'), () => stop.abort(), delta('wer'), idle()]
    const messages = failing(w.store, ['cancel'], 1)
    const result = await runTurn(w.options({ messages, signal: stop.signal }))
    expect(result.status).toBe('cancelled')
    expect(w.client.aborted).toEqual(['ses_turn_test'])
    expect(w.finished.map((r) => r.status)).toEqual(['cancelled'])
    expect(await w.store.load(w.message.id)).toMatchObject({ status: 'cancelled', content: 'half an ans' })
  })

  it('issue 15 #15: when messages.cancel keeps failing, upstream is aborted, onTurnFinished runs once and the result rejects with PersistenceError', async () => {
    const w = world()
    const stop = new AbortController()
    w.client.steps = [delta('half'), () => stop.abort(), idle()]
    const messages = failing(w.store, ['cancel'])
    const handle = startTurn(w.options({ messages, signal: stop.signal }))
    const finish: string[] = []
    for await (const event of handle.events) if (event.type === 'finish') finish.push(event.status)
    const error = await handle.result.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(PersistenceError)
    expect(w.client.aborted).toEqual(['ses_turn_test'])
    expect(w.finished).toHaveLength(1)
    expect(finish).toEqual(['failed'])
    expect(messages.calls.cancel).toBeGreaterThan(1)
  })

  it('issue 15 #16: a finalize that fails twice is retried with backoff on the clock; the turn completes', async () => {
    const w = world()
    const messages = failing(w.store, ['finalize'], 2)
    const slept: number[] = []
    const clock = {
      now: () => w.clock.now(),
      date: () => w.clock.date(),
      // The retry sleeps (no signal) are recorded and skipped; the liveness timer's wait on the manual clock.
      sleep: async (ms: number, signal?: AbortSignal) =>
        signal ? w.clock.sleep(ms, signal) : void slept.push(ms),
    }
    const run = runTurn(w.options({ messages, clock, terminalWriteRetryDelayMs: 500 }))
    const result = await run
    expect(result.status).toBe('completed')
    expect(messages.calls.finalize).toBe(3)
    expect(slept).toEqual([500, 1000]) // doubling backoff
    expect(await w.store.load(w.message.id)).toMatchObject({ status: 'completed', content: 'pong' })
    expect(w.finished.map((r) => r.status)).toEqual(['completed'])
  })

  it('issue 15 #16: a finalize that keeps failing rejects the result with PersistenceError; the row stays pending', async () => {
    const w = world()
    const messages = failing(w.store, ['finalize', 'error'])
    const error = await runTurn(w.options({ messages, terminalWriteAttempts: 4 })).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(PersistenceError)
    expect((error as PersistenceError).code).toBe('persistence')
    expect(((error as PersistenceError).cause as Error).message).toBe('db down (finalize)')
    expect(messages.calls.finalize).toBe(4)
    expect(messages.calls.error ?? 0).toBe(0) // a good answer is never overwritten by the fallback
    expect((await w.store.load(w.message.id)).status).toBe('pending')
    expect(w.finished.map((r) => r.status)).toEqual(['failed'])
    expect(w.traces).toContain('turn.finished')
  })

  it('issue 15 #16: the error write of a failed turn is retried too, and rejects when it keeps failing', async () => {
    const w = world()
    w.client.promptError = new Error('boom')
    const retried = failing(w.store, ['error'], 2)
    expect((await runTurn(w.options({ messages: retried }))).status).toBe('failed')
    expect(retried.calls.error).toBe(3)
    expect((await w.store.load(w.message.id)).status).toBe('error')

    const v = world()
    v.client.promptError = new Error('boom')
    const down = failing(v.store, ['error'])
    await expect(runTurn(v.options({ messages: down }))).rejects.toBeInstanceOf(PersistenceError)
    expect((await v.store.load(v.message.id)).status).toBe('pending')
  })

  it('issue 15 #16: the status read before the terminal write is retried like the write', async () => {
    const w = world()
    const store = w.store
    let loads = 0
    const messages: MessagePort = Object.create(store)
    messages.load = async (id) => {
      loads++
      if (loads === 1) throw new Error('connection reset')
      return store.load(id)
    }
    const result = await runTurn(w.options({ messages }))
    expect(result.status).toBe('completed')
    expect(await store.load(w.message.id)).toMatchObject({ status: 'completed', content: 'pong' })
  })

  it('issue 15 #17: a failing touchActivity / onActivityTick still advances the tick schedule', async () => {
    for (const broken of ['touchActivity', 'onActivityTick'] as const) {
      const w = world()
      let hookCalls = 0
      const messages = failing(w.store, broken === 'touchActivity' ? ['touchActivity'] : [])
      w.client.steps = [
        heartbeat(),
        () => w.clock.advance(300_000),
        ...Array.from({ length: 500 }, () => heartbeat()),
        delta('pong'),
        idle(),
      ]
      const result = await runTurn(
        w.options({
          messages,
          livenessIntervalMs: 10_000_000, // only the start stamp and the ticks touch the row here
          onActivityTick: () => {
            hookCalls++
            if (broken === 'onActivityTick') throw new Error('redis down')
          },
        }),
      )
      expect(result.status).toBe('completed')
      const touches = messages.calls.touchActivity ?? 0
      if (broken === 'touchActivity') expect([broken, touches]).toEqual([broken, 2]) // the start stamp, one tick
      expect([broken, hookCalls]).toEqual([broken, 1])
      const tickReports = reports.filter(
        (r) => r.context.hook === 'onActivityTick' || r.context.action === 'touchActivity',
      )
      expect([broken, tickReports.length]).toEqual([broken, 1])
      reports.length = 0
    }
  })
})

describe('issue 15 #20: the prompt never leaks into the reply', () => {
  const userPart = (text: string) =>
    ({
      type: 'message.part.updated',
      properties: {
        part: { id: 'prt_user', type: 'text', text, messageID: 'msg_user', sessionID: 'ses_turn_test' },
      },
    }) as const
  const userUpdated = () =>
    ({
      type: 'message.updated',
      properties: { info: { id: 'msg_user', role: 'user', sessionID: 'ses_turn_test' } },
    }) as const

  it('issue 15 #20: a user part before its message.updated is removed when the role arrives', () => {
    const reply = new Reply({ onError })
    const removed: string[] = []
    reply.addObserver({ partsRemoved: ({ messageId }) => void removed.push(messageId) })
    reply.apply(delta('Hel'))
    reply.apply(userPart('ping'))
    reply.apply(delta('lo'))
    reply.apply(userUpdated())
    reply.apply(delta('!'))
    expect(reply.result.fullText).toBe('Hello!')
    expect(removed).toEqual(['msg_user'])
    reply.apply(userPart('ping')) // known now: ignored
    expect(reply.result.fullText).toBe('Hello!')
  })

  it('issue 15 #20: without a later message.updated the turn learns the role from the session messages', async () => {
    const w = world()
    // The user's message.updated never arrives (a reconnect in between); the poll has no assistant yet.
    w.client.steps = [userPart('ping'), delta('pong'), idle()]
    w.client.after = [userMessage('ping')]
    const handle = startTurn(w.options())
    let shown = ''
    for await (const event of handle.events) {
      if (event.type === 'restart') shown = ''
      if (event.type === 'text-delta') shown += event.text
    }
    const result = await handle.result
    expect(result.status).toBe('completed')
    expect(result.message?.content).toBe('pong')
    expect(shown).toBe('pong')
  })
})

describe('issue 15 #19: a text part still streaming reads "" on the server', () => {
  // Recorded from a real `opencode serve` 1.18.33 (the e2e harness, prompt "Stream slowly [slow]"):
  // GET /session/:id/message while the assistant's text part was streaming.
  const recorded = JSON.parse(
    readFileSync(new URL('../fixtures/opencode-1.18.33-midstream-messages.json', import.meta.url), 'utf8'),
  ) as { messages: OpencodeMessage[] }

  it('issue 15 #19: the stand-in stores an open text part as "" like the real 1.18.33, and the text once it ends', async () => {
    const realPart = recorded.messages[1]?.parts.find((p) => p.type === 'text')
    expect(realPart).toMatchObject({ text: '' })
    expect(Object.keys((realPart?.time ?? {}) as object)).toEqual(['start'])

    const standIn = new OpencodeStandIn({ heartbeatMs: 0 })
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await standIn.handle(
        new Request(`http://standin.test${path}`, {
          method,
          headers: { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      )
      return response.status === 204 ? null : response.json()
    }
    try {
      standIn.enqueue(scenario().text('one two three four', { stallAfter: 2 }))
      const session = (await call('POST', '/session', {})) as { id: string }
      await call('POST', `/session/${session.id}/prompt_async`, { parts: [{ type: 'text', text: 'hi' }] })
      let messages: OpencodeMessage[] = []
      for (let i = 0; i < 100 && !messages[1]?.parts.some((p) => p.type === 'text'); i++) {
        await settle()
        messages = (await call('GET', `/session/${session.id}/message`)) as OpencodeMessage[]
      }
      const open = messages[1]?.parts.find((p) => p.type === 'text')
      expect(open).toMatchObject({ type: 'text', text: '' })
      expect(Object.keys((open?.time ?? {}) as object)).toEqual(['start'])
      expect(Object.keys(open ?? {}).sort()).toEqual(Object.keys(realPart ?? {}).sort())

      // An abort stores what streamed, like the real server (the abort-mid-stream recording).
      await call('POST', `/session/${session.id}/abort`)
      messages = (await call('GET', `/session/${session.id}/message`)) as OpencodeMessage[]
      expect(messages[1]?.parts.find((p) => p.type === 'text')).toMatchObject({ text: 'one two ' })
    } finally {
      standIn.close()
    }
  })
})
