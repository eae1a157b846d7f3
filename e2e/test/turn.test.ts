// Turn end to end: a real `opencode serve` (offline, scripted fake LLM), the knex adapter on a
// SQLite file and on PostgreSQL, and attachments through storage-fs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Client,
  type CreateSessionInput,
  type PermissionRule,
  Session,
  Turn,
  type TurnOptions,
} from '@opencode-kit/core'
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
    client = new CountingClient({ baseUrl: server.url })
  }, 60_000)
  afterAll(async () => {
    await db?.drop()
    await server?.close()
    rmSync(artifacts, { recursive: true, force: true })
  })

  async function runTurn(
    queryText: string,
    options: {
      subjectId?: string | number
      turn?: Partial<TurnOptions>
      permissions?: PermissionRule[]
    } = {},
  ) {
    const subjectId = options.subjectId ?? (await db.insertSubject('e2e'))
    const messageId = await db.insertMessage(subjectId)
    const session = new Session({
      subject: await db.records.load(subjectId),
      records: db.records,
      client,
      permissionsFor: () => options.permissions,
    })
    const trace: [string, Record<string, unknown>][] = []
    const result = await new Turn({
      message: messageId,
      messages: db.messages,
      session,
      client,
      queryText,
      storage,
      tracer: (name, payload) => trace.push([name, payload]),
      emptyStreamRetryDelayMs: 200,
      finalExchangeRetryDelayMs: 200,
      finalExchangeTimeoutMs: 15_000,
      ...options.turn,
    }).call()
    const row = await db.messages.load(messageId)
    const subject = await db.records.load(subjectId)
    return { result, row, subject, trace, names: trace.map(([n]) => n), messageId, subjectId }
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
    const { result, row } = await runTurn('Run a step [steps 1]', {
      permissions: [{ permission: 'bash', pattern: '*', action: 'ask' }],
      turn: {
        observe: (reply) =>
          reply.addObserver({
            permissionAsked: ({ request }) => {
              asked.push(request.requestId)
              void client.replyPermission({ requestId: request.requestId, reply: 'once' })
            },
          }),
      },
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
    expect(upstream).toMatchObject({ error_name: 'APIError', status_code: 400 })
    expect(trace.find(([name]) => name === 'response.error')?.[1]).toMatchObject({
      reason: 'upstream_llm_error',
    })
  })

  it('[llm-500-retries] the LLM answers 500: observers see the retries, the turn deadline ends it as error, upstream aborted', async () => {
    let retries = 0
    const { result, row, names, subject } = await runTurn('Keep failing [llm500]', {
      turn: {
        stream: { timeoutMs: 10_000 },
        finalExchangeTimeoutMs: 1000,
        observe: (reply) => reply.addObserver({ sessionRetried: () => retries++ }),
      },
    })
    expect(retries).toBeGreaterThan(0)
    expect(names).toContain('stream.interrupted')
    expect(result.status).toBe('error')
    expect(row.status).toBe('error')
    expect(client.aborted).toContain(subject.opencodeSessionId)
  }, 60_000)

  it('[abort-mid-stream] cancel mid-stream: the row ends cancelled with the partial text, upstream aborted', async () => {
    const stop = new AbortController()
    const { result, row, subject } = await runTurn('Talk slowly [slow]', {
      turn: {
        signal: stop.signal,
        observe: (reply) =>
          reply.addObserver({
            partChanged: ({ part }) => {
              if (part.type === 'text' && String(part.content).length > 10) stop.abort()
            },
          }),
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
