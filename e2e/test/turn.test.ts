// Turns end to end through the kit: a real `opencode serve` (offline, scripted fake LLM), the knex
// adapter on a SQLite file and on PostgreSQL, attachments through storage-fs, and every turn's
// events consumed the way an app consumes them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Client,
  createOpencodeKit,
  type OpencodeKit,
  type PermissionRule,
  type StartTurnInput,
  type TurnEvent,
} from '@opencode-kit/core'
import type { CreateSessionInput } from '@opencode-kit/core/wire'
import { fsStorage } from '@opencode-kit/storage-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { E2E_DATABASES, openTurnDatabase, type TurnDatabase } from '../support/database.js'
import { FINAL_TEXT } from '../support/fakeLlm.js'
import { type RealOpencode, startRealOpencode } from '../support/opencodeServer.js'

/** The real client, counting what the tests assert on. */
class CountingClient extends Client {
  readonly created: string[] = []
  readonly aborted: string[] = []
  override async createSession(input?: CreateSessionInput) {
    const session = await super.createSession(input)
    this.created.push(session.id)
    return session
  }
  override async abortSession(id: string) {
    this.aborted.push(id)
    return super.abortSession(id)
  }
}

describe.each(E2E_DATABASES)('Turn against real opencode, knex on %s', (databaseName) => {
  let server: RealOpencode
  let db: TurnDatabase
  let client: CountingClient
  const artifacts = mkdtempSync(join(tmpdir(), 'e2e-artifacts-'))
  const storage = fsStorage({ root: artifacts })

  beforeAll(async () => {
    server = await startRealOpencode({ slowDelayMs: 150 })
    db = await openTurnDatabase(databaseName)
    // The legacy API here (a 1.18 server offers both; api: 'auto' would pick v2): the v2 transport's
    // scenarios are in transportV2.test.ts.
    client = new CountingClient({ baseUrl: server.url, api: 'v1' })
  }, 60_000)
  /** The app's kit; each test turn gets its own, so its trace holds only that turn's events. */
  const kitFor = (trace: [string, Record<string, unknown>][], permissions?: PermissionRule[]): OpencodeKit =>
    createOpencodeKit({
      client,
      records: db.records,
      messages: db.messages,
      storage,
      permissions: permissions ?? 'server-defaults',
      onTrace: (name, payload) => {
        trace.push([name, payload])
      },
      tuning: {
        emptyStreamRetryDelayMs: 200,
        finalExchangeRetryDelayMs: 200,
        finalExchangeTimeoutMs: 15_000,
      },
    })
  afterAll(async () => {
    await db?.drop()
    await server?.close()
    rmSync(artifacts, { recursive: true, force: true })
  })

  async function runTurn(
    prompt: string,
    options: {
      subjectId?: string | number
      turn?: Partial<StartTurnInput>
      permissions?: PermissionRule[]
      onEvent?: (event: TurnEvent, text: string) => void
    } = {},
  ) {
    const subjectId = options.subjectId ?? (await db.insertSubject('e2e'))
    const messageId = await db.insertMessage(subjectId)
    const trace: [string, Record<string, unknown>][] = []
    const turn = kitFor(trace, options.permissions).startTurn({
      subjectId,
      messageId,
      prompt,
      ...options.turn,
    })
    const events: TurnEvent[] = []
    let text = ''
    for await (const event of turn.events) {
      events.push(event)
      if (event.type === 'text-delta') text += event.text
      if (event.type === 'restart') text = ''
      options.onEvent?.(event, text)
    }
    const result = await turn.result
    const row = await db.messages.load(messageId)
    const subject = await db.records.load(subjectId)
    // The stream a UI sees: seq 1, 2, 3…, start first, finish last with the row's status and content.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    expect(events[0]?.type).toBe('start')
    expect(events.at(-1)).toMatchObject({ type: 'finish', status: result.status, content: row.content })
    return { result, row, subject, events, text, trace, names: trace.map(([n]) => n), messageId, subjectId }
  }

  it('[plain-text] plain reply: completed, content and cost persisted', async () => {
    const { result, row, names } = await runTurn('Say hello')
    expect(result.status).toBe('completed')
    expect(row.status).toBe('completed')
    expect(row.content?.trim()).toBe(FINAL_TEXT)
    expect(row.cost).toBeGreaterThan(0)
    expect(row.inputTokens).toBe(10)
    expect(names).toEqual(['response.started', 'session.created', 'stream.completed', 'turn.finished'])
  })

  it('[reasoning] reasoning before the text: the row keeps the reasoning part and the final text', async () => {
    const { result, row } = await runTurn('Think first [reasoning]')
    expect(result.status).toBe('completed')
    expect(row.content?.trim()).toBe(FINAL_TEXT)
    const reasoning = row.parts?.find((part) => part.type === 'reasoning')
    expect(String(reasoning?.content).trim()).toBe('Thinking it through.')
  })

  it('[permission-ask] a bash call waits for permission; answered once, the tool runs and the turn completes', async () => {
    const asked: string[] = []
    const { result, row, events } = await runTurn('Run a step [steps 1]', {
      permissions: [{ permission: 'bash', pattern: '*', action: 'ask' }],
      onEvent: (event) => {
        if (event.type !== 'permission') return
        asked.push(event.request.id)
        void client.replyPermission({ requestId: event.request.id, reply: 'once' })
      },
    })
    expect(events.find((e) => e.type === 'permission')).toMatchObject({
      request: { kind: 'permission', permission: 'bash' },
    })
    expect(events.find((e) => e.type === 'request-resolved')).toMatchObject({
      requestId: asked[0],
      resolution: 'answered',
      answer: 'once',
    })
    expect(asked).toHaveLength(1)
    expect(result.status).toBe('completed')
    expect(row.content?.trim()).toBe(FINAL_TEXT)
    expect(row.toolCalls?.map((part) => [part.tool, part.status])).toEqual([['bash', 'completed']])
  })

  it('[write-tool] write tool then final text: the file is attached through storage', async () => {
    const { result, row, messageId } = await runTurn('Write the notes [write notes.md]')
    expect(result.status).toBe('completed')
    expect(row.content?.trim()).toBe(FINAL_TEXT)
    expect(row.toolCalls?.map((part) => part.tool)).toEqual(['write'])
    const attachments = await storage.list(messageId)
    expect(attachments.map((a) => [a.filename, a.contentType])).toEqual([['notes.md', 'text/markdown']])
    // The bytes on disk are what the agent's write tool wrote.
    const path = await storage.pathOf(messageId, 'notes.md')
    expect(readFileSync(String(path), 'utf8')).toContain('Written by the fake model.')
  })

  it('[todowrite] the todo list survives the authoritative final poll', async () => {
    const { result, row } = await runTurn('Plan it [todo]')
    expect(result.status).toBe('completed')
    const todoPart = row.parts?.find((part) => part.tool === 'todowrite')
    const todos = (todoPart?.input as { todos?: { content: string; status: string }[] } | undefined)?.todos
    expect(todos?.length).toBeGreaterThan(0)
    expect(todos?.[0]).toMatchObject({ content: expect.any(String), status: expect.any(String) })
  })

  it('[multi-step] tool loop: cost and tokens summed over every step', async () => {
    const { result, row, subject } = await runTurn('Run the steps [steps 3]')
    expect(result.status).toBe('completed')
    const messages = await client.getMessages(String(subject.opencodeSessionId))
    const assistants = messages.filter((m) => m.info?.role === 'assistant')
    expect(assistants.length).toBe(4)
    const summed = assistants.reduce((sum, m) => sum + Number(m.info?.cost ?? 0), 0)
    expect(row.cost).toBeCloseTo(summed, 12)
    expect(row.inputTokens).toBe(40)
    expect(row.outputTokens).toBe(20)
    expect(row.toolCalls).toHaveLength(3)
  })

  it('[llm-400] the LLM answers 400: the turn ends error with the upstream reason', async () => {
    const { result, row, trace } = await runTurn('Fail please [llm400]')
    expect(result.status).toBe('error')
    expect(row.status).toBe('error')
    const upstream = trace.find(([name]) => name === 'response.upstream_error')?.[1]
    expect(upstream).toMatchObject({ errorName: 'APIError', statusCode: 400 })
    expect(trace.find(([name]) => name === 'response.error')?.[1]).toMatchObject({
      reason: 'upstream_llm_error',
    })
  })

  it('[llm-500-retries] the LLM answers 500: the events show the retries, the turn deadline ends it as error, upstream aborted', async () => {
    const { result, row, names, subject, events } = await runTurn('Keep failing [llm500]', {
      turn: { stream: { overallMs: 10_000 }, tuning: { finalExchangeTimeoutMs: 1000 } },
    })
    expect(events.filter((e) => e.type === 'retry').length).toBeGreaterThan(0)
    expect(names).toContain('stream.interrupted')
    expect(result.status).toBe('error')
    expect(row.status).toBe('error')
    expect(client.aborted).toContain(subject.opencodeSessionId)
  }, 60_000)

  it('[abort-mid-stream] cancel mid-stream: the row ends cancelled with the partial text, upstream aborted', async () => {
    const stop = new AbortController()
    const { result, row, subject } = await runTurn('Talk slowly [slow]', {
      turn: { signal: stop.signal },
      onEvent: (_event, text) => {
        if (text.length > 10) stop.abort()
      },
    })
    expect(result.status).toBe('cancelled')
    expect(row.status).toBe('cancelled')
    expect(row.content?.length).toBeGreaterThan(10)
    expect(row.content).not.toContain(FINAL_TEXT)
    expect(client.aborted).toContain(subject.opencodeSessionId)
  })

  it('[deleted-session] a session deleted upstream between two turns is recreated once, loudly, and the prompt re-sent', async () => {
    const first = await runTurn('First turn')
    expect(first.result.status).toBe('completed')
    const oldSession = String(first.subject.opencodeSessionId)
    await client.deleteSession(oldSession)
    const second = await runTurn('Second turn', { subjectId: first.subjectId })
    expect(second.result.status).toBe('completed')
    expect(second.names).toContain('session.recreated_with_resend')
    expect(second.subject.opencodeSessionId).not.toBe(oldSession)
    expect(second.row.content?.trim()).toBe(FINAL_TEXT)
  })

  it('two turns racing on one subject share exactly one upstream session', async () => {
    const subjectId = await db.insertSubject('race')
    const before = client.created.length
    const [a, b] = await Promise.all([
      runTurn('Racing turn A', { subjectId }),
      runTurn('Racing turn B', { subjectId }),
    ])
    expect(client.created.length - before).toBe(1)
    expect(a.subject.opencodeSessionId).toBe(b.subject.opencodeSessionId)
    for (const turn of [a, b]) {
      expect(turn.result.status).toBe('completed')
      expect(turn.row.content).toContain(FINAL_TEXT)
    }
  }, 60_000)
})
