import type { JsonObject, OpencodeEvent } from '../../wire/types.js'
import { IdSource } from './IdSource.js'
import { type Scenario, scenario } from './Scenario.js'
import { SERVER_LINES, type ServerLine, type ServerLineName } from './serverLine.js'
import {
  flushStreaming,
  renderTurn,
  type ScriptStep,
  type StoredMessage,
  snapshotMessages,
} from './TurnScript.js'
import { type StandInV2Event, V2SessionLog, v2MessageOf } from './v2Face.js'

/** Counts a test can assert on ("exactly one session, prompt sent once"). */
export interface StandInStats {
  sessionsCreated: number
  sessionsDeleted: number
  sessionsAborted: number
  /** Prompt requests received (`prompt_async` and `message`), repeated message ids included. */
  prompts: number
  promptsBySession: Record<string, number>
  /** Prompts whose `messageID` the session already had: like the real server, nothing ran again. */
  repeatedPromptIds: number
  eventStreamsOpened: number
}

/** Options of {@link OpencodeStandIn}. */
export interface OpencodeStandInOptions {
  /** The scenario for a prompt when none is queued (default: a short reply quoting the prompt). */
  respond?: (prompt: { sessionId: string; text: string }) => Scenario
  /** Runs between two events of a turn (default: yield to the event loop). Pace or pause turns here. */
  pace?: () => Promise<void>
  /** `server.heartbeat` interval on open event streams in ms (default 10 000; 0 = none). */
  heartbeatMs?: number
  /** Require HTTP basic auth with this password (user `opencode`). */
  password?: string
  /**
   * `directory` of sessions and event streams whose request names none (default
   * `/standin/project`). Like the real server, a request's `?directory=` (or
   * `x-opencode-directory` header) scopes it: a session lives in the directory it was created in,
   * and an event stream carries only the events of its directory's sessions.
   */
  directory?: string
  /**
   * The OpenCode line to play (default `'1.18'`): `/global/health` reports its release and the
   * stand-in has that line's recorded differences — on `'1.14'`, `GET /event` ends right after
   * `server.connected` (follow `GET /global/event`) and a prompt to a missing session answers 204
   * with a `NotFoundError` on the stream; `'1.14'`/`'1.15'` send `session.next.*` switches; before
   * `'1.17'`, `permission.asked` has no `metadata.command` (docs/compatibility.md).
   */
  version?: ServerLineName
  /**
   * Which of OpenCode's server APIs to serve (default `'v1'`, so `new Client()` picks the legacy
   * API): `'v2'` serves only `/api/*` (legacy routes answer the web app's HTML with 200, as some
   * builds do), `'both'` serves both like 1.18.33. On v2 the turns are the same scenarios, sent as
   * 1.18.33 sends them (see `v2Face.ts`): durable `session.next.*` events with a `seq` (replayed by
   * `/history`), deltas and requests only on `/api/event`, steps at `cost: 0` priced from
   * `GET /api/model` ({@link OpencodeStandInOptions.v2Prices}), an idempotent prompt `id`.
   */
  api?: 'v1' | 'v2' | 'both'
  /** The stand-in model's prices on `GET /api/model`, USD per million tokens (default input 1, output 2). */
  v2Prices?: { input: number; output: number }
}

interface StandInSession {
  info: JsonObject
  directory: string
  messages: StoredMessage[]
  running: Promise<void> | undefined
  abort: (() => void) | undefined
  queue: string[]
  /** The user message ids its prompts asked for (`messageID`), as soon as each prompt is accepted. */
  promptIds: Set<string>
  /** Its face on the v2 API: the durable log and the translation state. */
  v2: V2SessionLog
  /** v2 prompt receipts by prompt id (a repeated id gets the first one back). */
  receipts: Map<string, JsonObject>
}

interface Subscriber {
  /** The API whose events it gets. */
  api: 'v1' | 'v2'
  /** The directory whose events it gets; undefined: every directory (`/global/event`, `/api/event`). */
  directory: string | undefined
  /** Sends one event of its API (an `OpencodeEvent` on v1, a v2 event on v2). */
  push(event: unknown): void
  drop(): void
}

interface ForcedFailure {
  method: string
  path: RegExp
  status: number
  body: unknown
}

const utf8 = new TextEncoder()
const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } })
const isJson = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const v2NotFound = (id: string) =>
  json({ _tag: 'SessionNotFoundError', message: `Session not found: ${id}` }, 404)
const notFound = (id: string) =>
  json({ name: 'NotFoundError', data: { message: `Session not found: ${id}` } }, 404)
const yieldToLoop = () =>
  new Promise<void>((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  )

/**
 * An in-process OpenCode server for tests and demos: the HTTP + SSE API the wire client uses,
 * answering prompts with scripted {@link Scenario}s that reproduce a real 1.18 server's event
 * sequences and final messages. Transport-agnostic (`handle(Request) → Response`): serve it through
 * MSW ({@link standInHandlers}) or a real loopback port ({@link startOpencodeStandIn}).
 *
 * @example
 * ```ts
 * const standIn = new OpencodeStandIn()
 * standIn.enqueue(scenario().text('Hi there').cost(0.0001, { input: 5, output: 2 }))
 * const server = setupServer(...standInHandlers(standIn, { baseUrl: 'http://opencode.test' }))
 * // … run a Turn against new Client({ baseUrl: 'http://opencode.test' }) …
 * expect(standIn.stats).toMatchObject({ sessionsCreated: 1, prompts: 1 })
 * ```
 */
export class OpencodeStandIn {
  /** Live counters. */
  readonly stats: StandInStats = {
    sessionsCreated: 0,
    sessionsDeleted: 0,
    sessionsAborted: 0,
    prompts: 0,
    promptsBySession: {},
    repeatedPromptIds: 0,
    eventStreamsOpened: 0,
  }
  private readonly ids = new IdSource()
  private readonly sessions = new Map<string, StandInSession>()
  private readonly subscribers = new Set<Subscriber>()
  private readonly queued: Scenario[] = []
  private readonly failures: ForcedFailure[] = []
  private readonly replies = new Map<string, (answer: JsonObject) => void>()
  private readonly reconnectWaiters: (() => void)[] = []
  private readonly options: OpencodeStandInOptions
  /** The line this stand-in plays. */
  private readonly line: ServerLine
  private closed = false

  constructor(options: OpencodeStandInOptions = {}) {
    this.options = options
    this.line = SERVER_LINES[options.version ?? '1.18']
  }

  private get offersV1(): boolean {
    return this.options.api !== 'v2'
  }

  private get offersV2(): boolean {
    return this.options.api === 'v2' || this.options.api === 'both'
  }

  /** Answer the next prompt (FIFO) with `next`, instead of `respond`. */
  enqueue(...next: Scenario[]): this {
    this.queued.push(...next)
    return this
  }

  /** Make the next request matching `method` and `path` answer `status` (then behave normally). */
  failNext(
    method: string,
    path: RegExp,
    status: number,
    body: unknown = { name: 'UnknownError', data: { message: 'injected failure' } },
  ): this {
    this.failures.push({ method: method.toUpperCase(), path, status, body })
    return this
  }

  /** Forget a session as if it was deleted upstream: later calls answer 404, nothing is counted. */
  forgetSession(id: string): void {
    this.sessions.get(id)?.abort?.()
    this.sessions.delete(id)
  }

  /** Ids of the sessions that exist. */
  get sessionIds(): string[] {
    return [...this.sessions.keys()]
  }

  /** Wait until every running turn has finished (or stalled forever: use with care). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.sessions.values()].map((s) => s.running).filter(Boolean)
      if (running.length === 0) return
      await Promise.all(running)
    }
  }

  /** End every event stream and stop every turn. */
  close(): void {
    this.closed = true
    for (const session of this.sessions.values()) session.abort?.()
    for (const subscriber of [...this.subscribers]) subscriber.drop()
    for (const wake of this.reconnectWaiters.splice(0)) wake()
  }

  /** Serve one HTTP request. */
  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const method = request.method.toUpperCase()
    const path = url.pathname.replace(/\/+$/, '') || '/'
    if (this.options.password && !this.authorized(request)) return json({ name: 'Unauthorized' }, 401)
    const forced = this.failures.findIndex((f) => f.method === method && f.path.test(path))
    if (forced >= 0) {
      const [failure] = this.failures.splice(forced, 1)
      return json(failure?.body, failure?.status)
    }
    const v2Route = path.startsWith('/api/')
    if (v2Route ? !this.offersV2 : !this.offersV1)
      // An API this stand-in does not serve: the web app's page, as some builds answer unknown routes.
      return new Response('<!doctype html><title>OpenCode</title>', {
        status: 200,
        headers: { 'content-type': 'text/html' },
      })
    for (const [verb, pattern, answer] of v2Route ? this.v2Routes : this.routes) {
      if (verb !== method) continue
      const match = path.match(pattern)
      if (match)
        return answer(
          request,
          match.slice(1).map((part) => decodeURIComponent(part)),
        )
    }
    return json({ name: 'NotFoundError', data: { message: `no route ${method} ${path}` } }, 404)
  }

  /** The HTTP API: method, path pattern, handler (with the decoded path parameters). */
  private readonly routes: [
    string,
    RegExp,
    (request: Request, params: string[]) => Response | Promise<Response>,
  ][] = [
    ['GET', /^\/global\/health$/, () => json({ healthy: true, version: this.line.version })],
    ['GET', /^\/event$/, (request) => this.eventStream(request, false)],
    ['GET', /^\/global\/event$/, (request) => this.eventStream(request, true)],
    [
      'POST',
      /^\/session$/,
      async (request) => this.createSession(await this.body(request), this.directoryOf(request)),
    ],
    ['GET', /^\/session$/, () => json([...this.sessions.values()].map((s) => s.info))],
    ['GET', /^\/session\/status$/, () => json(this.statuses())],
    ['GET', /^\/session\/([^/]+)$/, (_request, [id]) => this.withSession(id, (s) => json(s.info))],
    [
      'PATCH',
      /^\/session\/([^/]+)$/,
      async (request, [id]) => {
        const changes = await this.body(request)
        return this.withSession(id, (s) => {
          if (typeof changes.title === 'string') s.info.title = changes.title
          if (Array.isArray(changes.permission)) s.info.permission = changes.permission
          return json(s.info)
        })
      },
    ],
    [
      'DELETE',
      /^\/session\/([^/]+)$/,
      (_request, [id]) =>
        this.withSession(id, (s) => {
          s.abort?.()
          this.sessions.delete(String(id))
          this.stats.sessionsDeleted++
          return json(true)
        }),
    ],
    [
      'POST',
      /^\/session\/([^/]+)\/abort$/,
      (_request, [id]) => {
        // Like the real server: 200 true, even for an unknown session.
        this.stats.sessionsAborted++
        this.sessions.get(String(id))?.abort?.()
        return json(true)
      },
    ],
    [
      'GET',
      /^\/session\/([^/]+)\/message$/,
      (_request, [id]) => this.withSession(id, (s) => json(snapshotMessages(s.messages))),
    ],
    [
      'POST',
      /^\/session\/([^/]+)\/prompt_async$/,
      async (request, [id]) => this.prompt(String(id), await this.body(request), false),
    ],
    [
      'POST',
      /^\/session\/([^/]+)\/message$/,
      async (request, [id]) => this.prompt(String(id), await this.body(request), true),
    ],
    [
      'POST',
      /^\/(?:permission|question)\/([^/]+)\/(reply|reject)$/,
      async (request, [id, verb]) => {
        const resolve = this.replies.get(String(id))
        if (!resolve) return json({ name: 'NotFoundError', data: { message: 'no such request' } }, 404)
        resolve({ ...(await this.body(request)), rejected: verb === 'reject' })
        return json(true)
      },
    ],
    ['GET', /^\/question$/, () => json([])],
  ]

  // ── sessions and prompts ──────────────────────────────────────────────────────────────────────

  private createSession(body: JsonObject, directory: string): Response {
    const id = this.ids.next('ses')
    const now = Date.now()
    const info: JsonObject = {
      id,
      slug: id.slice(-8),
      version: this.line.version,
      projectID: 'global',
      directory,
      title: typeof body.title === 'string' ? body.title : `New session - ${new Date(now).toISOString()}`,
      time: { created: now, updated: now },
      ...(this.line.sessionUsage
        ? { cost: 0, tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } } }
        : {}),
    }
    if (Array.isArray(body.permission)) info.permission = body.permission
    if (typeof body.parentID === 'string') info.parentID = body.parentID
    const session: StandInSession = {
      info,
      directory,
      messages: [],
      running: undefined,
      abort: undefined,
      queue: [],
      promptIds: new Set(),
      v2: new V2SessionLog(id),
      receipts: new Map(),
    }
    this.sessions.set(id, session)
    this.stats.sessionsCreated++
    this.broadcast(session, {
      id: this.ids.next('evt'),
      type: 'session.created',
      properties: { sessionID: id, info },
    } as OpencodeEvent)
    return json(info)
  }

  /** `POST /api/session/:id/prompt`: admitted durably, then run; a repeated `id` runs nothing. */
  private async v2Prompt(id: string, body: JsonObject): Promise<Response> {
    const session = this.sessions.get(id)
    if (!session) return v2NotFound(id)
    const prompt = isJson(body.prompt) ? body.prompt : {}
    const text = String(prompt.text ?? '')
    const messageId = typeof body.id === 'string' ? body.id : this.ids.next('msg')
    const delivery = body.delivery === 'queue' ? 'queue' : 'steer'
    const first = session.receipts.get(messageId)
    if (first) {
      this.stats.prompts++
      this.stats.repeatedPromptIds++
      return json({ data: { ...first, promotedSeq: first.admittedSeq } })
    }
    const admitted = session.v2.durable('session.next.prompt.admitted', {
      messageID: messageId,
      prompt: { text },
      delivery,
    })
    this.pushV2(session, admitted)
    const receipt: JsonObject = {
      admittedSeq: admitted.durable?.seq ?? 0,
      id: messageId,
      sessionID: id,
      prompt: { text },
      delivery,
      timeCreated: Date.now(),
    }
    session.receipts.set(messageId, receipt)
    const answer = await this.prompt(id, { parts: [{ type: 'text', text }], messageID: messageId }, false)
    if (answer.status >= 400) return answer
    return json({ data: receipt })
  }

  /** The v2 view of a session. */
  private v2Session(session: StandInSession): JsonObject {
    const info = session.info
    return {
      id: info.id,
      projectID: info.projectID,
      title: info.title,
      cost: 0,
      tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
      time: info.time,
      location: { directory: session.directory },
    }
  }

  private async prompt(id: string, body: JsonObject, sync: boolean): Promise<Response> {
    const session = this.sessions.get(id)
    if (!session && this.line.promptToMissingSessionAccepted && !sync) {
      // 1.14: accepted, then the failure on the stream — and no idle after it.
      this.broadcastTo(this.directory, {
        id: this.ids.next('evt'),
        type: 'session.error',
        properties: {
          sessionID: id,
          error: {
            name: 'UnknownError',
            data: { message: 'NotFoundError: NotFoundError\n    at SessionPrompt.prompt' },
          },
        },
      } as OpencodeEvent)
      return new Response(null, { status: 204 })
    }
    if (!session) return notFound(id)
    const parts = Array.isArray(body.parts) ? (body.parts as JsonObject[]) : []
    const text = parts
      .filter((p) => p.type === 'text')
      .map((p) => String(p.text ?? ''))
      .join('\n\n')
    this.stats.prompts++
    this.stats.promptsBySession[id] = (this.stats.promptsBySession[id] ?? 0) + 1
    const messageId = typeof body.messageID === 'string' ? body.messageID : undefined
    if (messageId !== undefined && session.promptIds.has(messageId)) {
      // What 1.18.33 does with a repeated messageID (opencode-server.md): 204, no second LLM call,
      // no second reply — but the text is appended to that user message again.
      this.stats.repeatedPromptIds++
      const user = session.messages.find((m) => m.info.id === messageId)
      if (user)
        user.parts.push({
          id: this.ids.next('prt'),
          sessionID: id,
          messageID: messageId,
          type: 'text',
          text,
        })
      if (!sync) return new Response(null, { status: 204 })
      return json(snapshotMessages(session.messages).at(-1) ?? null)
    }
    if (messageId !== undefined) session.promptIds.add(messageId)
    const script =
      this.queued.shift() ?? this.options.respond?.({ sessionId: id, text }) ?? defaultReply(text)
    if (script.failPrompt) return json(script.failPrompt.body ?? null, script.failPrompt.status)
    const agent = typeof body.agent === 'string' ? body.agent : 'build'
    const previous = session.running ?? Promise.resolve()
    const run = previous.then(() => {
      if (this.line.sendsSessionNextSwitches) this.announceSwitches(session, agent)
      return this.play(
        session,
        renderTurn(script, {
          sessionId: id,
          prompt: text,
          agent,
          ids: this.ids,
          now: () => Date.now(),
          directory: session.directory,
          userMessageId: messageId,
        }),
      )
    })
    session.running = run
    void run.finally(() => {
      if (session.running === run) session.running = undefined
    })
    if (!sync) return new Response(null, { status: 204 })
    await run
    const last = snapshotMessages(session.messages).at(-1)
    return json(last ?? null)
  }

  /** Play a rendered turn: apply each step's effect, then send its event to every subscriber. */
  private async play(session: StandInSession, steps: ScriptStep[]): Promise<void> {
    let aborted = false
    let wake: (() => void) | undefined
    session.abort = () => {
      aborted = true
      wake?.()
    }
    const sessionId = String(session.info.id)
    try {
      for (const step of steps) {
        if (aborted || this.closed) break
        if (step.type === 'stall') {
          await new Promise<void>((resolve) => {
            wake = resolve
          })
          break
        }
        if (step.type === 'disconnect') {
          for (const subscriber of [...this.subscribers]) subscriber.drop()
          // The turn goes on once somebody listens again (a real server would not wait; a test would lose events).
          await new Promise<void>((resolve) => {
            wake = resolve
            this.reconnectWaiters.push(resolve)
          })
          continue
        }
        if (step.type === 'await') {
          const answer = await new Promise<JsonObject | undefined>((resolve) => {
            wake = () => resolve(undefined)
            this.replies.set(step.requestId, resolve)
            this.broadcast(session, this.permissionForLine(step.event))
          })
          this.replies.delete(step.requestId)
          if (!answer) break
          const type = `${step.kind}.${answer.rejected ? 'rejected' : 'replied'}`
          this.broadcast(session, {
            id: this.ids.next('evt'),
            type,
            properties: {
              sessionID: sessionId,
              requestID: step.requestId,
              reply: answer.reply,
              answers: answer.answers,
            },
          } as OpencodeEvent)
          continue
        }
        step.effect?.(session.messages)
        this.broadcast(session, step.event)
        await (this.options.pace?.() ?? yieldToLoop())
      }
      if (aborted && this.sessions.has(sessionId)) this.endAborted(session)
    } finally {
      session.abort = undefined
    }
  }

  /** What the real server does on abort: MessageAbortedError, idle; the text so far is kept. */
  private endAborted(session: StandInSession): void {
    const sessionId = String(session.info.id)
    const error = { name: 'MessageAbortedError', data: { message: 'Aborted' } }
    const last = session.messages.at(-1)
    this.broadcast(session, {
      id: this.ids.next('evt'),
      type: 'session.error',
      properties: { sessionID: sessionId, error },
    } as OpencodeEvent)
    this.broadcast(session, {
      id: this.ids.next('evt'),
      type: 'session.status',
      properties: { sessionID: sessionId, status: { type: 'idle' } },
    } as OpencodeEvent)
    this.broadcast(session, {
      id: this.ids.next('evt'),
      type: 'session.idle',
      properties: { sessionID: sessionId },
    } as OpencodeEvent)
    if (last?.info.role === 'assistant' && !(last.info.time as JsonObject | undefined)?.completed) {
      for (const part of flushStreaming(last, Date.now()))
        this.broadcast(session, {
          id: this.ids.next('evt'),
          type: 'message.part.updated',
          properties: { sessionID: sessionId, part, time: Date.now() },
        } as unknown as OpencodeEvent)
      last.info = { ...last.info, error, time: { ...(last.info.time as JsonObject), completed: Date.now() } }
      this.broadcast(session, {
        id: this.ids.next('evt'),
        type: 'message.updated',
        properties: { sessionID: sessionId, info: structuredClone(last.info) },
      } as OpencodeEvent)
    }
  }

  // ── the event stream ──────────────────────────────────────────────────────────────────────────

  private eventStream(request: Request, global: boolean): Response {
    this.stats.eventStreamsOpened++
    const directory = global ? undefined : this.directoryOf(request)
    if (!global && this.line.eventEndsAfterConnected) {
      // 1.14.43–1.14.48: /event says server.connected and ends.
      return new Response(
        utf8.encode(`data: ${JSON.stringify({ type: 'server.connected', properties: {} })}\n\n`),
        {
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        },
      )
    }
    let subscriber: Subscriber | undefined
    let heartbeat: ReturnType<typeof setInterval> | undefined
    const cleanup = () => {
      if (subscriber) this.subscribers.delete(subscriber)
      if (heartbeat) clearInterval(heartbeat)
    }
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (event: unknown) => {
          // /global/event wraps each event: {directory, project, payload} ({payload} for server.*).
          const frame = !global
            ? event
            : (event as OpencodeEvent).type.startsWith('server.')
              ? { payload: event }
              : {
                  directory: this.sessionDirectory(event as OpencodeEvent),
                  project: 'global',
                  payload: event,
                }
          try {
            controller.enqueue(utf8.encode(`data: ${JSON.stringify(frame)}\n\n`))
          } catch {
            cleanup()
          }
        }
        send({ type: 'server.connected', properties: {} })
        subscriber = {
          api: 'v1',
          directory,
          push: send,
          drop: () => {
            cleanup()
            try {
              controller.error(new TypeError('the stand-in dropped the connection'))
            } catch {
              // already closed
            }
          },
        }
        this.subscribers.add(subscriber)
        const every = this.options.heartbeatMs ?? 10_000
        if (every > 0) {
          heartbeat = setInterval(() => send({ type: 'server.heartbeat', properties: {} }), every)
          ;(heartbeat as { unref?: () => void }).unref?.()
        }
        request.signal?.addEventListener('abort', cleanup, { once: true })
        for (const wake of this.reconnectWaiters.splice(0)) wake()
      },
      cancel: cleanup,
    })
    return new Response(body, {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    })
  }

  /** Send a session's event to every stream of the session's directory (as the real server does). */
  private broadcast(session: StandInSession, event: OpencodeEvent): void {
    this.broadcastTo(session.directory, event)
    if (this.offersV2) for (const v2 of session.v2.translate(event)) this.pushV2(session, v2)
  }

  /** Send a session's v2 event to every `/api/event` stream (they carry every directory, with its location). */
  private pushV2(session: StandInSession, event: StandInV2Event): void {
    const framed = { ...event, location: { directory: session.directory } }
    for (const subscriber of [...this.subscribers]) if (subscriber.api === 'v2') subscriber.push(framed)
  }

  /** Send an event of `directory` to its streams and to every `/global/event` stream. */
  private broadcastTo(directory: string, event: OpencodeEvent): void {
    for (const subscriber of [...this.subscribers])
      if (
        subscriber.api === 'v1' &&
        (subscriber.directory === undefined || subscriber.directory === directory)
      )
        subscriber.push(event)
  }

  /** The directory of the session an event is about (for `/global/event` frames). */
  private sessionDirectory(event: OpencodeEvent): string {
    const id = event.properties.sessionID
    return (typeof id === 'string' && this.sessions.get(id)?.directory) || this.directory
  }

  /** 1.14 and 1.15 announce the agent and the model of every prompt. */
  private announceSwitches(session: StandInSession, agent: string): void {
    const sessionID = String(session.info.id)
    const timestamp = Date.now()
    this.broadcast(session, {
      id: this.ids.next('evt'),
      type: 'session.next.agent.switched',
      properties: { sessionID, timestamp, agent },
    } as OpencodeEvent)
    this.broadcast(session, {
      id: this.ids.next('evt'),
      type: 'session.next.model.switched',
      properties: {
        sessionID,
        timestamp,
        model: { id: 'standin-model', providerID: 'standin', variant: 'default' },
      },
    } as OpencodeEvent)
  }

  /** From 1.17 on, a permission request names the command in `metadata.command` too. */
  private permissionForLine(event: OpencodeEvent): OpencodeEvent {
    const patterns = event.properties.patterns
    if (event.type !== 'permission.asked' || !this.line.permissionCommandMetadata || !Array.isArray(patterns))
      return event
    const metadata = { ...(event.properties.metadata as JsonObject | undefined), command: patterns[0] }
    return { ...event, properties: { ...event.properties, metadata } } as OpencodeEvent
  }

  // ── the v2 API ────────────────────────────────────────────────────────────────────────────────

  /** `GET /api/event`: `server.connected`, then every session's v2 events; heartbeats as SSE comments. */
  private v2EventStream(request: Request): Response {
    this.stats.eventStreamsOpened++
    let subscriber: Subscriber | undefined
    let heartbeat: ReturnType<typeof setInterval> | undefined
    const cleanup = () => {
      if (subscriber) this.subscribers.delete(subscriber)
      if (heartbeat) clearInterval(heartbeat)
    }
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const write = (text: string) => {
          try {
            controller.enqueue(utf8.encode(text))
          } catch {
            cleanup()
          }
        }
        const send = (event: unknown) => write(`data: ${JSON.stringify(event)}\n\n`)
        send({ id: this.ids.next('evt'), type: 'server.connected', data: {} })
        subscriber = {
          api: 'v2',
          directory: undefined,
          push: send,
          drop: () => {
            cleanup()
            try {
              controller.error(new TypeError('the stand-in dropped the connection'))
            } catch {
              // already closed
            }
          },
        }
        this.subscribers.add(subscriber)
        const every = this.options.heartbeatMs ?? 10_000
        if (every > 0) {
          heartbeat = setInterval(() => write(': heartbeat\n\n'), every)
          ;(heartbeat as { unref?: () => void }).unref?.()
        }
        request.signal?.addEventListener('abort', cleanup, { once: true })
        for (const wake of this.reconnectWaiters.splice(0)) wake()
      },
      cancel: cleanup,
    })
    return new Response(body, {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    })
  }

  private withV2Session(
    rawId: string | undefined,
    answer: (session: StandInSession) => Response | Promise<Response>,
  ): Response | Promise<Response> {
    const id = rawId ?? ''
    const session = this.sessions.get(id)
    return session ? answer(session) : v2NotFound(id)
  }

  /** A request answered on the v2 routes (204). */
  private async v2Reply(
    request: Request,
    requestId: string | undefined,
    rejected: boolean,
  ): Promise<Response> {
    const resolve = this.replies.get(String(requestId))
    if (!resolve) return json({ _tag: 'NotFoundError', message: `no such request ${requestId}` }, 404)
    resolve({ ...(await this.body(request)), rejected })
    return new Response(null, { status: 204 })
  }

  /** The `/api/*` routes (see {@link OpencodeStandInOptions.api}). */
  private readonly v2Routes: [
    string,
    RegExp,
    (request: Request, params: string[]) => Response | Promise<Response>,
  ][] = [
    ['GET', /^\/api\/health$/, () => json({ data: { healthy: true, version: this.line.version } })],
    [
      'GET',
      /^\/api\/session\/active$/,
      () => {
        const active: JsonObject = {}
        for (const [id, session] of this.sessions) if (session.running) active[id] = { type: 'running' }
        return json({ data: active })
      },
    ],
    ['GET', /^\/api\/event$/, (request) => this.v2EventStream(request)],
    [
      'POST',
      /^\/api\/session$/,
      async (request) => {
        const body = await this.body(request)
        const created = this.createSession({}, this.directoryOf(request))
        const info = (await created.json()) as JsonObject
        const session = this.sessions.get(String(info.id))
        if (session && typeof body.agent === 'string') session.info.agent = body.agent
        return session ? json({ data: this.v2Session(session) }) : created
      },
    ],
    [
      'GET',
      /^\/api\/session\/([^/]+)$/,
      (_request, [id]) => this.withV2Session(id, (s) => json({ data: this.v2Session(s) })),
    ],
    [
      'POST',
      /^\/api\/session\/([^/]+)\/prompt$/,
      async (request, [id]) => this.v2Prompt(String(id), await this.body(request)),
    ],
    [
      'POST',
      /^\/api\/session\/([^/]+)\/(?:agent|model)$/,
      (_request, [id]) => this.withV2Session(id, () => new Response(null, { status: 204 })),
    ],
    [
      'GET',
      /^\/api\/session\/([^/]+)\/history$/,
      (request, [id]) =>
        this.withV2Session(id, (s) => {
          const query = new URL(request.url).searchParams
          const after = Number(query.get('after') ?? 0)
          const limit = Number(query.get('limit') ?? 100)
          const rest = s.v2.events.filter((event) => (event.durable?.seq ?? 0) > after)
          return json({ data: rest.slice(0, limit), hasMore: rest.length > limit })
        }),
    ],
    [
      'GET',
      /^\/api\/session\/([^/]+)\/message$/,
      (request, [id]) =>
        this.withV2Session(id, (s) => {
          const query = new URL(request.url).searchParams
          const limit = Number(query.get('limit') ?? 100)
          const offset = Number(query.get('cursor') ?? 0)
          const all = snapshotMessages(s.messages).map(v2MessageOf)
          const ordered = query.get('order') === 'asc' ? all : all.reverse()
          const page = ordered.slice(offset, offset + limit)
          // Like 1.18.33: the last page still has a `next` cursor.
          return json({ data: page, cursor: { previous: null, next: String(offset + page.length) } })
        }),
    ],
    [
      'POST',
      /^\/api\/session\/([^/]+)\/interrupt$/,
      (_request, [id]) =>
        this.withV2Session(id, (s) => {
          this.stats.sessionsAborted++
          s.abort?.()
          return new Response(null, { status: 204 })
        }),
    ],
    [
      'POST',
      /^\/api\/session\/([^/]+)\/permission\/([^/]+)\/reply$/,
      (request, [id, requestId]) => this.withV2Session(id, () => this.v2Reply(request, requestId, false)),
    ],
    [
      'POST',
      /^\/api\/session\/([^/]+)\/question\/([^/]+)\/(reply|reject)$/,
      (request, [id, requestId, verb]) =>
        this.withV2Session(id, () => this.v2Reply(request, requestId, verb === 'reject')),
    ],
    [
      'GET',
      /^\/api\/session\/([^/]+)\/(?:permission|question)$/,
      (_request, [id]) => this.withV2Session(id, () => json({ data: [] })),
    ],
    ['GET', /^\/api\/(?:permission|question)\/request$/, () => json({ data: [] })],
    [
      'GET',
      /^\/api\/model$/,
      () => {
        const price = this.options.v2Prices ?? { input: 1, output: 2 }
        return json({
          data: [
            {
              id: 'standin-model',
              providerID: 'standin',
              cost: [{ input: price.input, output: price.output, cache: { read: 0, write: 0 } }],
            },
          ],
        })
      },
    ],
  ]

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────────

  private get directory(): string {
    return this.options.directory ?? '/standin/project'
  }

  /** The directory a request is scoped to: `?directory=`, else `x-opencode-directory`, else the default. */
  private directoryOf(request: Request): string {
    return (
      new URL(request.url).searchParams.get('directory') ??
      request.headers.get('x-opencode-directory') ??
      this.directory
    )
  }

  private statuses(): JsonObject {
    const statuses: JsonObject = {}
    for (const [id, session] of this.sessions) if (session.running) statuses[id] = { type: 'busy' }
    return statuses
  }

  private withSession(rawId: string | undefined, answer: (session: StandInSession) => Response): Response {
    const id = rawId ?? ''
    const session = this.sessions.get(id)
    return session ? answer(session) : notFound(id)
  }

  private async body(request: Request): Promise<JsonObject> {
    const text = await request.text()
    if (!text) return {}
    try {
      const parsed: unknown = JSON.parse(text)
      return parsed && typeof parsed === 'object' ? (parsed as JsonObject) : {}
    } catch {
      return {}
    }
  }

  private authorized(request: Request): boolean {
    const header = request.headers.get('authorization') ?? ''
    return header === `Basic ${btoa(`opencode:${this.options.password}`)}`
  }
}

/** The default answer: a short reply that quotes the prompt, with a cost. */
const defaultReply = (text: string): Scenario =>
  scenario()
    .text(`You said: ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`)
    .cost(0.0001, { input: 12, output: 6 })
