// The outcome matrix of host-layer §2.3.15, table-driven, against the OpenCode stand-in (the real
// Client over MSW) with the in-memory ports: every row ends with the documented status, row state
// and trace events.
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { MessagePort } from '../../src/adapter/index.js'
import type { TurnClient } from '../../src/host/Turn.js'
import {
  Client,
  Session,
  startTurn,
  type TurnEvent,
  type TurnOptions,
  type TurnStatus,
} from '../../src/index.js'
import {
  MemoryMessagePort,
  MemoryRecordPort,
  OpencodeStandIn,
  Scenario,
  scenario,
} from '../../src/testing/index.js'
import { standInHandlers } from '../../src/testing/msw/index.js'
import { StaleSessionError } from '../../src/wire/index.js'

const BASE = 'http://outcomes.test'
let standIn = new OpencodeStandIn({ heartbeatMs: 0 })
const server = setupServer(
  ...standInHandlers({ handle: (r: Request) => standIn.handle(r) } as OpencodeStandIn, { baseUrl: BASE }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  standIn.close()
  standIn = new OpencodeStandIn({ heartbeatMs: 0 })
})
afterAll(() => server.close())

interface World {
  client: TurnClient
  messages: MessagePort
  store: MemoryMessagePort
  messageId: number
  /** Turn options, plus the session id already stored on the subject. */
  options: Partial<TurnOptions> & { subjectSessionId?: string }
  /** Sees every event of the turn, as a consumer of `turn.events`. */
  onEvent?: (event: TurnEvent, text: string) => void
}

interface Row {
  situation: string
  arrange: (world: World) => void | Promise<void>
  status: TurnStatus
  row: { status: string; content?: string | RegExp }
  events: string[]
  stats?: Partial<OpencodeStandIn['stats']>
}

const rows: Row[] = [
  {
    situation: 'happy path',
    arrange: () => void standIn.enqueue(scenario().text('All good.').cost(0.01, { input: 3, output: 2 })),
    status: 'completed',
    row: { status: 'completed', content: 'All good.' },
    events: ['response.started', 'session.created', 'stream.completed', 'turn.finished'],
    stats: { sessionsCreated: 1, prompts: 1 },
  },
  {
    situation: 'cancelled mid-stream (another process cancels the row)',
    arrange: (w) => {
      standIn.enqueue(scenario().text('one two three four five six seven').stall())
      w.options.snapshotIntervalMs = 0
      w.onEvent = (_event, text) => {
        if (text.startsWith('one two')) void w.store.cancel(w.messageId)
      }
    },
    status: 'cancelled',
    row: { status: 'cancelled', content: /^one two/ },
    events: ['response.started', 'session.created', 'turn.finished'],
    stats: { sessionsAborted: 1, prompts: 1 },
  },
  {
    situation: 'cancel racing finalize (the CAS loses)',
    arrange: (w) => {
      standIn.enqueue(scenario().text('Late answer.'))
      const finalize = w.messages.finalize.bind(w.messages)
      w.messages.finalize = async (id, fields) => {
        await w.store.cancel(id)
        return finalize(id, fields)
      }
    },
    status: 'cancelled',
    row: { status: 'cancelled' },
    events: ['response.started', 'session.created', 'stream.completed', 'turn.finished'],
  },
  {
    situation: 'upstream LLM error',
    arrange: () => void standIn.enqueue(scenario().llmError({ statusCode: 400, message: 'bad request' })),
    status: 'error',
    row: { status: 'error', content: 'Sorry, an error occurred while generating this response.' },
    events: [
      'response.started',
      'session.created',
      'stream.completed',
      'response.upstream_error',
      'response.error',
      'turn.finished',
    ],
  },
  {
    situation: 'empty stream',
    arrange: () => void standIn.enqueue(Scenario.empty()),
    status: 'error',
    row: { status: 'error' },
    events: ['response.started', 'session.created', 'stream.completed', 'response.error', 'turn.finished'],
  },
  {
    situation: 'stale session before the prompt: recreated once, prompt sent on the new session',
    arrange: (w) => {
      standIn.enqueue(scenario().text('Fresh session.'))
      const real = w.client
      let first = true
      w.client = {
        getMessages: real.getMessages.bind(real),
        prompt: real.prompt.bind(real),
        abortSession: real.abortSession.bind(real),
        events: (sessionId, options) => {
          if (!first) return real.events(sessionId, options)
          first = false
          return {
            [Symbol.asyncIterator]: () => ({
              next: () => Promise.reject(new StaleSessionError('no event within the first-event window')),
            }),
          }
        },
      }
    },
    status: 'completed',
    row: { status: 'completed', content: 'Fresh session.' },
    events: [
      'response.started',
      'session.created',
      'session.recreated_with_resend',
      'stream.completed',
      'turn.finished',
    ],
    stats: { sessionsCreated: 2, prompts: 1, sessionsAborted: 1 },
  },
  {
    situation: 'session not found upstream: recreated once, loud event',
    arrange: async (w) => {
      standIn.enqueue(scenario().text('Recreated.'))
      w.options.subjectSessionId = 'ses_deleted_upstream'
    },
    status: 'completed',
    row: { status: 'completed', content: 'Recreated.' },
    events: ['response.started', 'session.recreated_with_resend', 'stream.completed', 'turn.finished'],
    stats: { sessionsCreated: 1, prompts: 1 },
  },
  {
    situation: 'SSE dies after the prompt: interrupted, recovered from the messages',
    arrange: (w) => {
      standIn.enqueue(scenario().text('Partial but persisted.').stall())
      w.options.stream = { overallMs: 150 }
    },
    status: 'completed',
    row: { status: 'completed', content: 'Partial but persisted.' },
    events: [
      'response.started',
      'session.created',
      'stream.interrupted',
      'response.waiting_for_final_text',
      'turn.finished',
    ],
  },
  {
    // Issue 15 #19: mid-part the server's copy says text "" (real 1.18.33); what streamed is kept.
    situation: 'SSE dies mid-text after the prompt: the streamed text is kept, completed',
    arrange: (w) => {
      standIn.enqueue(scenario().text('Seen by the user before the stream died.', { stallAfter: 5 }))
      w.options.stream = { overallMs: 150 }
      // What the user saw is never wiped: at the finish it is still the streamed text.
      w.onEvent = (event, text) => {
        if (event.type === 'finish') expect(text).toBe('Seen by the user before ')
      }
    },
    status: 'completed',
    row: { status: 'completed', content: 'Seen by the user before ' },
    events: [
      'response.started',
      'session.created',
      'stream.interrupted',
      'response.waiting_for_final_text',
      'turn.finished',
    ],
  },
  {
    situation: 'poll timeout: the agent keeps working past the final-exchange deadline',
    arrange: (w) => {
      standIn.enqueue(scenario().text('Still thinking…').keepWorking())
      w.options.finalExchangeTimeoutMs = 60
      w.options.finalExchangeRetryDelayMs = 20
    },
    status: 'completed',
    row: { status: 'completed', content: 'Still thinking…' },
    events: [
      'response.started',
      'session.created',
      'stream.completed',
      'response.waiting_for_final_text',
      'turn.finished',
    ],
  },
]

describe('Turn outcome matrix against the stand-in (host-layer §2.3.15)', () => {
  it.each(rows.map((row) => [row.situation, row] as const))('%s', async (_name, row) => {
    const records = new MemoryRecordPort()
    const store = new MemoryMessagePort()
    const message = store.insert()
    const world: World = {
      client: new Client({ baseUrl: BASE }),
      messages: Object.create(store) as MessagePort,
      store,
      messageId: Number(message.id),
      options: { emptyStreamRetryDelayMs: 0, finalExchangeTimeoutMs: 0, finalExchangeRetryDelayMs: 0 },
    }
    await row.arrange(world)
    const { subjectSessionId, ...options } = world.options
    const subject = records.insert({ title: 'matrix', opencodeSessionId: subjectSessionId ?? null })
    const trace: string[] = []
    const turn = startTurn({
      messageId: message.id,
      messages: world.messages,
      session: new Session({
        subject,
        records,
        client: new Client({ baseUrl: BASE }),
        permissions: 'server-defaults',
      }),
      client: world.client,
      prompt: `matrix: ${row.situation}`,
      onTrace: (name) => {
        trace.push(name)
      },
      ...options,
    })
    let text = ''
    const seqs: number[] = []
    for await (const event of turn.events) {
      seqs.push(event.seq)
      if (event.type === 'text-delta') text += event.text
      if (event.type === 'restart') text = ''
      world.onEvent?.(event, text)
    }
    const result = await turn.result
    expect(seqs).toEqual(seqs.map((_, i) => i + 1))
    expect(result.status).toBe(row.status)
    const stored = await store.load(message.id)
    expect(stored.status).toBe(row.row.status)
    if (row.row.content instanceof RegExp) expect(stored.content).toMatch(row.row.content)
    else if (row.row.content !== undefined) expect(stored.content).toBe(row.row.content)
    expect(trace).toEqual(row.events)
    if (row.stats) expect(standIn.stats).toMatchObject(row.stats)
  })
})
