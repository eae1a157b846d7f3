// Issue 15 host items on a real `opencode serve` 1.18.33 (offline, scripted fake LLM) and the knex
// adapter (SQLite file and PostgreSQL): #19 the event stream dies mid-text (the server's copy of an
// open text part reads "" until it ends), #16 the database fails at the terminal write.
import {
  Client,
  ConnectionError,
  createOpencodeKit,
  type EventsOptions,
  type OpencodeEvent,
  PersistenceError,
  type TurnEvent,
  type TurnTuning,
} from '@opencode-kit/core'
import type { MessagePort } from '@opencode-kit/core/adapter'
import { newMessageId } from '@opencode-kit/core/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { E2E_DATABASES, openTurnDatabase, type TurnDatabase } from '../support/database.js'
import { FINAL_TEXT } from '../support/fakeLlm.js'
import { type RealOpencode, startRealOpencode } from '../support/opencodeServer.js'

/** The real client whose event stream dies after `dieAfterDeltas` text deltas (then never again). */
class DyingStreamClient extends Client {
  dieAfterDeltas: number | undefined
  readonly aborted: string[] = []

  override async *events(
    sessionId: string,
    options: EventsOptions = {},
  ): AsyncGenerator<OpencodeEvent, void> {
    let deltas = 0
    const limit = this.dieAfterDeltas
    this.dieAfterDeltas = undefined
    for await (const event of super.events(sessionId, options)) {
      yield event
      if (event.type === 'message.part.delta' && limit !== undefined && ++deltas >= limit)
        throw new ConnectionError('the event stream died (test)')
    }
  }

  override async abortSession(id: string) {
    this.aborted.push(id)
    return super.abortSession(id)
  }
}

/** A message port whose `method` throws `failures` times (or always), then works. */
function failingWrites(messages: MessagePort, method: 'finalize' | 'error', failures: number) {
  let calls = 0
  const port: MessagePort = Object.create(messages)
  port[method] = async (...args: [never, never]) => {
    calls++
    if (calls <= failures) throw new Error(`database unavailable (${method} #${calls})`)
    return (messages[method] as (...a: unknown[]) => Promise<boolean>)(...args)
  }
  return { port, calls: () => calls }
}

describe.each(E2E_DATABASES)(
  'issue 15 host items and issue 17 retries against real opencode, knex on %s',
  (databaseName) => {
    let server: RealOpencode
    let db: TurnDatabase
    let client: DyingStreamClient

    beforeAll(async () => {
      server = await startRealOpencode({ slowDelayMs: 100 })
      db = await openTurnDatabase(databaseName)
      client = new DyingStreamClient({ baseUrl: server.url, api: 'v1' })
    }, 60_000)
    afterAll(async () => {
      await db?.drop()
      await server?.close()
    })

    async function runTurn(
      prompt: string,
      options: {
        messages?: MessagePort
        tuning?: Partial<TurnTuning>
        /** Before the turn: what an earlier worker did to the row (and upstream) before it died. */
        before?: (ids: { subjectId: string | number; messageId: string | number }) => Promise<void>
      } = {},
    ) {
      const subjectId = await db.insertSubject('audit')
      const messageId = await db.insertMessage(subjectId)
      await options.before?.({ subjectId, messageId })
      const trace: string[] = []
      const kit = createOpencodeKit({
        client,
        records: db.records,
        messages: options.messages ?? db.messages,
        permissions: 'server-defaults',
        onTrace: (name) => void trace.push(name),
        onError: () => {},
        tuning: {
          emptyStreamRetryDelayMs: 200,
          finalExchangeRetryDelayMs: 200,
          finalExchangeTimeoutMs: 20_000,
          terminalWriteRetryDelayMs: 50,
          ...options.tuning,
        },
      })
      const turn = kit.startTurn({ subjectId, messageId, prompt })
      const events: TurnEvent[] = []
      let shown = ''
      let wiped = false
      for await (const event of turn.events) {
        events.push(event)
        if (event.type === 'text-delta') shown += event.text
        if (event.type === 'restart') {
          if (shown !== '') wiped = true
          shown = ''
        }
      }
      const outcome = await turn.result.then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      )
      const row = await db.messages.load(messageId)
      const subject = await db.records.load(subjectId)
      return { ...outcome, row, subject, events, shown, wiped, trace }
    }

    it('issue 15 #19: SSE dies mid-text, the agent still streaming at the deadline: completed with what streamed, nothing wiped', async () => {
      client.dieAfterDeltas = 5
      const { result, row, shown, wiped, trace, events } = await runTurn('Stream slowly [slow]', {
        tuning: { finalExchangeTimeoutMs: 1000 },
      })
      expect(trace).toContain('stream.interrupted')
      expect(result?.status).toBe('completed')
      expect(row.status).toBe('completed')
      expect(wiped).toBe(false)
      expect(shown.length).toBeGreaterThan(0)
      expect(row.content).toBe(shown)
      expect(row.content?.startsWith('streaming')).toBe(true)
      expect(events.at(-1)).toMatchObject({ type: 'finish', status: 'completed', content: shown })
    }, 60_000)

    it('issue 15 #19: SSE dies mid-text, the agent finishes within the wait: completed with the full answer', async () => {
      client.dieAfterDeltas = 5
      const { result, row, trace } = await runTurn('Stream slowly [slow]')
      expect(trace).toContain('stream.interrupted')
      expect(result?.status).toBe('completed')
      expect(row.status).toBe('completed')
      expect(row.content).toContain(FINAL_TEXT)
    }, 60_000)

    it('issue 15 #16: the finalize fails twice (database blip): retried, completed with the answer', async () => {
      const failing = failingWrites(db.messages, 'finalize', 2)
      const { result, row, error } = await runTurn('Say hello', { messages: failing.port })
      expect(error).toBeUndefined()
      expect(result?.status).toBe('completed')
      expect(failing.calls()).toBe(3)
      expect(row).toMatchObject({ status: 'completed' })
      expect(row.content?.trim()).toBe(FINAL_TEXT)
    }, 60_000)

    it('issue 15 #16: the finalize keeps failing: turn.result rejects with PersistenceError, the row stays pending, finish says failed', async () => {
      const failing = failingWrites(db.messages, 'finalize', Number.POSITIVE_INFINITY)
      const { result, row, error, events } = await runTurn('Say hello', {
        messages: failing.port,
        tuning: { terminalWriteAttempts: 3 },
      })
      expect(result).toBeUndefined()
      expect(error).toBeInstanceOf(PersistenceError)
      expect(failing.calls()).toBe(3)
      expect(row.status).toBe('pending')
      expect(events.at(-1)).toMatchObject({
        type: 'finish',
        status: 'failed',
        error: { code: 'persistence' },
      })
    }, 60_000)

    it('issue 17: a retried job after the worker died right after its prompt attaches — the real server ran the prompt once', async () => {
      let upstreamId = ''
      let sessionId = ''
      const { result, row } = await runTurn('Say hello', {
        before: async ({ subjectId, messageId }) => {
          const session = await client.createSession({})
          sessionId = session.id
          await db.records.setSessionId(subjectId, session.id)
          upstreamId = newMessageId()
          await db.messages.claimPrompt(messageId, {
            opencodeSessionId: session.id,
            opencodeMessageId: upstreamId,
          })
          await client.prompt(session.id, { text: 'Say hello', messageId: upstreamId }) // then the worker died
        },
      })
      expect(result?.status).toBe('completed')
      expect(row.content?.trim()).toBe(FINAL_TEXT)
      const upstream = await client.getMessages(sessionId)
      const users = upstream.filter((m) => m.info.role === 'user')
      expect(users.map((m) => [m.info.id, m.parts.filter((p) => p.type === 'text').length])).toEqual([
        [upstreamId, 1],
      ])
      expect(upstream.filter((m) => m.info.role === 'assistant')).toHaveLength(1)
    }, 60_000)
  },
)
