// Turns end to end through the kit on OpenCode's v2 API (`/api/*`): a real `opencode serve`
// 1.18.33 (offline, scripted fake LLM), the DEFAULT client (`api: 'auto'` picks v2 there), the knex
// adapter on SQLite, attachments through storage-fs. The same scenarios as turn.test.ts (which pins
// the legacy API), with what differs on v2 asserted as such. Crash recovery is issue 17's
// (`kit.recover…`); `afterSeq` resume is in transportV2.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Client,
  createOpencodeKit,
  denyAll,
  type OpencodeKit,
  type PermissionPolicy,
  type StartTurnInput,
  type TurnEvent,
} from '@opencode-kit/core'
import {
  type CreateSessionInput,
  compareOpencodeVersions,
  parseOpencodeVersion,
  UnsupportedFeatureError,
} from '@opencode-kit/core/wire'
import { fsStorage } from '@opencode-kit/storage-fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTurnDatabase, type TurnDatabase } from '../support/database.js'
import { FINAL_TEXT } from '../support/fakeLlm.js'
import {
  ASK_BASH_AGENT,
  OPENCODE_VERSION,
  type RealOpencode,
  startRealOpencode,
} from '../support/opencodeServer.js'

/** The real client (default API choice), counting what the tests assert on. */
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

/** Price of one fake-model step (10 in, 5 out at $1 / $2 per million tokens). */
const STEP_COST = 2e-5

/** Lines before 1.17 serve only a few `/api/*` routes: the default client speaks the legacy API there. */
const OFFERS_V2 =
  compareOpencodeVersions(parseOpencodeVersion(OPENCODE_VERSION) ?? [0, 0, 0], [1, 17, 0]) >= 0

describe.skipIf(!OFFERS_V2)('Turn through the v2 transport against real opencode (default client)', () => {
  let server: RealOpencode
  let db: TurnDatabase
  let client: CountingClient
  const artifacts = mkdtempSync(join(tmpdir(), 'e2e-v2-artifacts-'))
  const storage = fsStorage({ root: artifacts })

  beforeAll(async () => {
    server = await startRealOpencode({ slowDelayMs: 150 })
    db = await openTurnDatabase('sqlite')
    client = new CountingClient({ baseUrl: server.url, directory: server.projectDir })
  }, 60_000)
  afterAll(async () => {
    await db?.drop()
    await server?.close()
    rmSync(artifacts, { recursive: true, force: true })
  })

  const kitFor = (
    trace: [string, Record<string, unknown>][],
    permissions: PermissionPolicy = 'server-defaults',
    kitClient: Client = client,
  ): OpencodeKit =>
    createOpencodeKit({
      client: kitClient,
      records: db.records,
      messages: db.messages,
      storage,
      permissions,
      onTrace: (name, payload) => {
        trace.push([name, payload])
      },
      tuning: {
        emptyStreamRetryDelayMs: 200,
        finalExchangeRetryDelayMs: 200,
        finalExchangeTimeoutMs: 15_000,
      },
    })

  async function runTurn(
    prompt: string,
    options: {
      subjectId?: string | number
      turn?: Partial<StartTurnInput>
      permissions?: PermissionPolicy
      onEvent?: (event: TurnEvent, text: string) => void
    } = {},
  ) {
    const subjectId = options.subjectId ?? (await db.insertSubject('e2e-v2'))
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
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    expect(events[0]?.type).toBe('start')
    expect(events.at(-1)).toMatchObject({ type: 'finish', status: result.status, content: row.content })
    return { result, row, subject, events, text, trace, names: trace.map(([n]) => n), messageId, subjectId }
  }

  it('the default client picks v2 on 1.18.33', async () => {
    expect(await client.api()).toBe('v2')
    expect(client.probe?.offers).toEqual(['v2', 'v1'])
  })

  /** Names of the tools OpenCode offered the model in the chat requests since `from`. */
  const offeredTools = (from: number) =>
    server.llm.requests
      .slice(from)
      .flatMap((request) =>
        (request.tools ?? []).map((tool) => (tool as { function?: { name?: string } }).function?.name),
      )

  it('[deny-all] a kit with denyAll on the default client: the session keeps its rules on the legacy API, nothing runs', async () => {
    const before = server.llm.requests.length
    const { result, row, subject } = await runTurn('Run a step [steps 1]', { permissions: denyAll() })
    expect(result.status).toBe('completed')
    // Every tool is denied: OpenCode offers the model none, so no bash ran.
    expect(offeredTools(before)).toEqual([])
    expect(row.toolCalls ?? []).toEqual([])
    // Its record on the legacy API carries the rules (v2 has no such field).
    const legacy = new Client({ baseUrl: server.url, directory: server.projectDir, api: 'v1' })
    const session = await legacy.getSession(String(subject.opencodeSessionId))
    expect(session.permission).toEqual(denyAll())
    // A new client (a restarted process) learns that from the record and stays on the legacy API.
    const restarted = new Client({ baseUrl: server.url, directory: server.projectDir })
    const beforeAgain = server.llm.requests.length
    const again = await runTurnWith(restarted, 'Run a step [steps 1]', subject.id as string | number)
    expect(offeredTools(beforeAgain)).toEqual([])
    expect(again.row.toolCalls ?? []).toEqual([])
    // Control: a session without its own rules (v2) is offered bash.
    const control = server.llm.requests.length
    await runTurn('Say hello')
    expect(offeredTools(control)).toContain('bash')
  })

  it('[per-session ask rule] on the default client: the legacy session asks, the reply (no sessionId) reaches it, bash runs', async () => {
    const asked: string[] = []
    const { result, row } = await runTurn('Run a step [steps 1]', {
      permissions: [{ permission: 'bash', pattern: '*', action: 'ask' }],
      onEvent: (event) => {
        if (event.type !== 'permission') return
        asked.push(event.request.id)
        void client.replyPermission({ requestId: event.request.id, reply: 'once' })
      },
    })
    expect(asked).toHaveLength(1)
    expect(result.status).toBe('completed')
    expect(row.toolCalls?.map((part) => [part.tool, part.status])).toEqual([['bash', 'completed']])
  })

  /** A turn of an existing subject on another client (with denyAll). */
  async function runTurnWith(other: Client, prompt: string, subjectId: string | number) {
    const messageId = await db.insertMessage(subjectId)
    const turn = kitFor([], denyAll(), other).startTurn({ subjectId, messageId, prompt })
    for await (const _ of turn.events) {
      // drained
    }
    const result = await turn.result
    expect(result.status).toBe('completed')
    return { result, row: await db.messages.load(messageId) }
  }

  it('[deny-all, v2-only server] per-session rules fail with UnsupportedFeatureError saying what to do', async () => {
    // The real server behind a filter that hides every legacy route: a server that only speaks v2.
    const v2Only: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      if (!url.pathname.startsWith('/api/'))
        return new Response('<!doctype html><title>OpenCode</title>', {
          status: 200,
          headers: { 'content-type': 'text/html' },
        })
      return fetch(input, init)
    }
    const only = new Client({ baseUrl: server.url, directory: server.projectDir, fetch: v2Only })
    expect(await only.api()).toBe('v2')
    expect(only.probe?.offers).toEqual(['v2'])
    const trace: [string, Record<string, unknown>][] = []
    const subjectId = await db.insertSubject('v2-only')
    const messageId = await db.insertMessage(subjectId)
    const turn = kitFor(trace, denyAll(), only).startTurn({ subjectId, messageId, prompt: 'Say hello' })
    for await (const _ of turn.events) {
      // drained
    }
    const result = await turn.result
    expect(result.status).toBe('failed')
    expect(result.status === 'failed' && result.error).toBeInstanceOf(UnsupportedFeatureError)
    const error = await only.createSession({ permissions: denyAll() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsupportedFeatureError)
    expect(String((error as Error).message)).toMatch(/only OpenCode's v2 API.*agent/)
  })

  it('[plain-text] plain reply: completed, content, cost priced from the model (v2 reports 0)', async () => {
    const { result, row, names } = await runTurn('Say hello')
    expect(result.status).toBe('completed')
    expect(row.content?.trim()).toBe(FINAL_TEXT)
    expect(row.cost).toBeCloseTo(STEP_COST, 12)
    expect(row.inputTokens).toBe(10)
    expect(row.outputTokens).toBe(5)
    expect(names).toEqual(['response.started', 'session.created', 'stream.completed', 'turn.finished'])
  })

  it('[reasoning] reasoning before the text: the row keeps the reasoning part and the final text', async () => {
    const { result, row, events } = await runTurn('Think first [reasoning]')
    expect(result.status).toBe('completed')
    expect(row.content?.trim()).toBe(FINAL_TEXT)
    const reasoning = row.parts?.find((part) => part.type === 'reasoning')
    expect(String(reasoning?.content).trim()).toBe('Thinking it through.')
    expect(events.some((e) => e.type === 'reasoning-delta')).toBe(true)
  })

  it('[permission-ask] an agent whose rules ask: answered once, the tool runs and the turn completes', async () => {
    const asked: string[] = []
    const { result, row, events } = await runTurn('Run a step [steps 1]', {
      turn: { agent: ASK_BASH_AGENT },
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

  it('[question] a question answered from the turn events: the tool completes with the answer', async () => {
    const { result, row, events } = await runTurn('Ask me [question]', {
      onEvent: (event) => {
        if (event.type === 'question')
          void client.replyQuestion({ requestId: event.request.id, answers: [['Blue']] })
      },
    })
    expect(events.find((e) => e.type === 'question')).toMatchObject({ request: { kind: 'question' } })
    expect(result.status).toBe('completed')
    expect(row.content?.trim()).toBe(FINAL_TEXT)
    expect(row.toolCalls?.map((part) => [part.tool, part.status])).toEqual([['question', 'completed']])
  })

  it('[write-tool] write tool then final text: the file is attached through storage', async () => {
    const { result, row, messageId } = await runTurn('Write the notes [write notes.md]')
    expect(result.status).toBe('completed')
    expect(row.content?.trim()).toBe(FINAL_TEXT)
    expect(row.toolCalls?.map((part) => part.tool)).toEqual(['write'])
    const attachments = await storage.list(messageId)
    expect(attachments.map((a) => [a.filename, a.contentType])).toEqual([['notes.md', 'text/markdown']])
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

  it('[multi-step] tool loop: cost and tokens summed over every step, each step priced', async () => {
    const { result, row, subject } = await runTurn('Run the steps [steps 3]')
    expect(result.status).toBe('completed')
    const messages = await client.getMessages(String(subject.opencodeSessionId))
    const assistants = messages.filter((m) => m.info?.role === 'assistant')
    expect(assistants.length).toBe(4)
    const summed = assistants.reduce((sum, m) => sum + Number(m.info?.cost ?? 0), 0)
    expect(summed).toBeCloseTo(4 * STEP_COST, 12)
    expect(row.cost).toBeCloseTo(summed, 12)
    expect(row.inputTokens).toBe(40)
    expect(row.outputTokens).toBe(20)
    expect(row.toolCalls).toHaveLength(3)
  })

  it('[llm-400] the LLM answers 400: the turn ends error with the upstream reason', async () => {
    const { result, row, trace } = await runTurn('Fail please [llm400]')
    expect(result.status).toBe('error')
    expect(row.status).toBe('error')
    expect(trace.find(([name]) => name === 'response.upstream_error')?.[1]).toMatchObject({
      errorName: 'APIError',
      statusCode: 400,
    })
    expect(trace.find(([name]) => name === 'response.error')?.[1]).toMatchObject({
      reason: 'upstream_llm_error',
    })
  })

  it('[llm-500-retries] the LLM answers 500: v2 on 1.18.33 does not retry, the turn ends error at once (retryable APIError)', async () => {
    const requestsBefore = server.llm.requests.length
    const { result, row, trace, events } = await runTurn('Keep failing [llm500]', {
      turn: { stream: { overallMs: 30_000 } },
    })
    expect(result.status).toBe('error')
    expect(row.status).toBe('error')
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(0)
    expect(trace.find(([name]) => name === 'response.upstream_error')?.[1]).toMatchObject({
      errorName: 'APIError',
      statusCode: 500,
    })
    // The provider SDK's own attempts (3 on 1.18.33, within seconds), then the step fails: no
    // session-level retry loop as on the legacy API.
    const chats = server.llm.requests.slice(requestsBefore).filter((r) => (r.tools?.length ?? 0) > 0)
    expect(chats.length).toBeGreaterThan(0)
    expect(chats.length).toBeLessThanOrEqual(3)
  }, 60_000)

  it('[abort-mid-stream] cancel mid-stream: the row ends cancelled with the partial text, upstream interrupted', async () => {
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

  it('[stream-resume] the event stream breaks mid-answer and the server refuses a reconnect: the turn resumes after the last seq from the durable log and follows the run to its end', async () => {
    // The real server behind a fetch that cuts the first `/api/event` once the text streams, and
    // answers the next connection 503 (a proxy restarting): the stream ends with a ServerError.
    let connections = 0
    const flaky: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      if (url.pathname !== '/api/event') return fetch(input, init)
      connections++
      if (connections === 2) return new Response('proxy restarting', { status: 503 })
      const response = await fetch(input, init)
      if (connections > 1 || !response.body) return response
      const reader = response.body.getReader()
      let cut = false
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (cut) return controller.error(new Error('connection reset by the test'))
          const { done, value } = await reader.read()
          if (done) return controller.close()
          controller.enqueue(value)
          if (new TextDecoder().decode(value).includes('session.next.text.delta')) cut = true
        },
        cancel: (reason) => reader.cancel(reason),
      })
      return new Response(body, { status: response.status, headers: response.headers })
    }
    const flakyClient = new Client({ baseUrl: server.url, directory: server.projectDir, fetch: flaky })
    const subjectId = await db.insertSubject('resume')
    const messageId = await db.insertMessage(subjectId)
    const trace: [string, Record<string, unknown>][] = []
    const turn = kitFor(trace, 'server-defaults', flakyClient).startTurn({
      subjectId,
      messageId,
      prompt: 'Talk slowly [slow]',
    })
    const kinds: string[] = []
    let text = ''
    for await (const event of turn.events) {
      kinds.push(event.type)
      if (event.type === 'restart') text = ''
      if (event.type === 'text-delta') text += event.text
    }
    const result = await turn.result
    expect(result.status).toBe('completed')
    const names = trace.map(([name]) => name)
    expect(names).toEqual(
      expect.arrayContaining(['stream.interrupted', 'stream.resumed', 'stream.completed', 'turn.finished']),
    )
    expect(trace.find(([name]) => name === 'stream.interrupted')?.[1]).toMatchObject({ error: 'ServerError' })
    expect(trace.find(([name]) => name === 'stream.resumed')?.[1]).toEqual({ afterSeq: expect.any(Number) })
    expect(connections).toBe(3)
    const row = await db.messages.load(messageId)
    expect(row.content).toContain(FINAL_TEXT)
    // Text deltas are not durable on v2: those sent while no stream was open are gone, and the log's
    // `text.ended` brings the whole text — then (only then) the view restarts once, with the full text.
    expect(kinds.filter((kind) => kind === 'restart').length).toBeLessThanOrEqual(1)
    expect(text.trim()).toBe(row.content?.trim())
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
})
