import { type Clock, systemClock } from '../support/Clock.js'
import type { ErrorHook } from '../support/ErrorHook.js'
import { reportError } from '../support/reportError.js'
import type { TraceHook } from '../support/TraceHook.js'
import { trace } from '../support/trace.js'
import {
  AbortError,
  BadRequestError,
  ConnectionError,
  InvalidArgumentError,
  OpencodeError,
  ServerError,
  SessionNotFoundError,
  TimeoutError,
  UnsupportedFeatureError,
  UnsupportedServerError,
  UpstreamError,
  type UpstreamErrorInfo,
} from './errors.js'
import { mergeFinalExchange } from './mergeFinalExchange.js'
import { Reply, type ReplyResult, type Usage } from './Reply.js'
import type { ReplyObserver } from './ReplyObserver.js'
import type { EventFeed } from './stream/EventFeed.js'
import { EventHub } from './stream/EventHub.js'
import { SessionStream, type SessionStreamSettings } from './stream/SessionStream.js'
import {
  isObject,
  type JsonObject,
  type OpencodeEvent,
  type OpencodeMessage,
  type OpencodeSession,
  type PermissionRule,
} from './types.js'
import { LegacyEventFeed } from './v1/LegacyEventFeed.js'
import { type ApiProbe, type OpencodeApi, probeApi } from './v2/probeApi.js'
import { V2Client, type V2Http } from './v2/V2Client.js'
import type {
  CallOptions,
  CreateSessionInput,
  EventDeadlines,
  EventsOptions,
  MalformedFrame,
  PermissionReply,
  PromptInput,
  PromptOptions,
  QuestionReject,
  QuestionReply,
  WireClient,
} from './WireClient.js'

/** Options of {@link Client}. */
export interface ClientOptions {
  /**
   * Server URL. Default: the `OPENCODE_URL` environment variable, else `http://localhost:4096`
   * (the port `opencode serve` listens on by default).
   */
  baseUrl?: string
  /** Server password, sent as HTTP basic auth. Default: the `OPENCODE_SERVER_PASSWORD` environment variable (none: no auth header). */
  password?: string
  /** Basic-auth user name; default `opencode`. */
  username?: string
  /** Extra headers on every request (e.g. your own auth proxy's). */
  headers?: Record<string, string>
  /** Per-request timeout in ms (default 120 000). Event streams have their own deadlines (see `events`). */
  timeoutMs?: number
  /** Appended as `?directory=` to every session-scoped request (default: none, the server's own directory). */
  directory?: string
  /** Appended as `?workspace=` to every session-scoped request (default: none). */
  workspace?: string
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch
  /** Time source for request timeouts, stream deadlines and reconnect delays (default: the system clock). */
  clock?: Clock
  /** Largest SSE frame accepted (see {@link SseDecoder}); default 32 MiB. */
  maxFrameSize?: number
  /** Told about every event-stream frame whose JSON does not parse (it is skipped and reported too). Default: none. */
  onMalformedFrame?: (frame: MalformedFrame) => void
  /**
   * Receives the errors the client contains instead of throwing (a skipped malformed frame, a
   * throwing observer of `stream()`'s reply). May be async. Default: {@link warnOnConsole}, one
   * `console.warn` line per error.
   */
  onError?: ErrorHook
  /**
   * Receives the client's trace events (`request {method, path}`), which are also published on
   * `node:diagnostics_channel` as `opencode.<name>`. What it returns is ignored. Default: none.
   */
  onTrace?: TraceHook
  /**
   * Which of the server's APIs to speak. `'auto'` (default): on first use, probe the server (two
   * cheap GETs, see {@link probeApi}) and speak OpenCode 2.0's `/api/*` when it is offered, else the
   * legacy routes; a server with neither fails with {@link UnsupportedServerError}. A version
   * outside `SUPPORTED_OPENCODE_VERSIONS` is reported once through `onError` as a warning. `'v1'` / `'v2'`
   * force one without probing (see {@link V2Client} for what differs).
   */
  api?: 'auto' | OpencodeApi
}

/** Options of {@link Client.stream}: the prompt's options, the stream's deadlines, an observer. */
export interface StreamOptions extends Omit<PromptOptions, 'timeoutMs'> {
  /** The stream's overall deadline in ms (default 600 000); the same as `deadlines.overallMs`. */
  timeoutMs?: number
  /** The stream's deadlines (see {@link EventDeadlines}). */
  deadlines?: EventDeadlines
  /** Delay before reconnecting after a dropped connection (default 100 ms). */
  reconnectDelayMs?: number
  /** The final poll of the messages may take this long (default 10 000 ms); then the streamed reply stands. */
  finalPollTimeoutMs?: number
  /** Sees every change of the reply as it streams. */
  observer?: ReplyObserver
  /** Clock for the stream's deadlines (default: the client's). */
  clock?: Clock
}

/** What {@link Client.stream} resolves with: the reply's parts and texts, and the turn's usage. */
export interface StreamResult extends ReplyResult {
  /** Cost and tokens summed over every model step of the turn. */
  usage: Usage
}

const DEFAULT_BASE_URL = 'http://localhost:4096'
/** How many sessions (and requests) a v2 client remembers the API of. */
const MAX_SESSION_APIS = 10_000
const FALLBACK_MESSAGES: Record<string, string> = {
  404: 'Session not found',
  400: 'Bad request',
  500: 'Server error',
}

const env = (name: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name]

/**
 * The typed HTTP + SSE client for an OpenCode server. Every call takes an `AbortSignal`; every
 * failure is an {@link OpencodeError} subclass (404 → {@link SessionNotFoundError}, other 4xx →
 * {@link BadRequestError}, 5xx and non-JSON bodies → {@link ServerError}, deadlines →
 * {@link TimeoutError}, unreachable server → {@link ConnectionError}).
 *
 * @example
 * ```ts
 * const client = new Client({ baseUrl: 'http://127.0.0.1:4096' })
 * const session = await client.createSession({ title: 'Support #42' })
 * const result = await client.stream(session.id, 'Summarize the ticket', {}, ({ delta }) => process.stdout.write(delta))
 * console.log(result.fullText)
 * ```
 */
export class Client implements WireClient {
  /** The server URL, without a trailing slash. */
  readonly baseUrl: string
  /** The parsed base URL: its path is the prefix of every endpoint, its query goes on every request. */
  private readonly base: URL
  /** The server's address for messages: no query (it may hold a token). */
  private readonly where: string
  private readonly options: ClientOptions
  private readonly fetchImpl: typeof fetch
  /** The clock for deadlines and delays. */
  readonly clock: Clock
  /** The event subscriptions open now, one per clock (see {@link Client.events}). */
  private readonly hubs = new Map<Clock, EventHub>()
  private legacyFeed: LegacyEventFeed | undefined
  /** What the probe learned about the server (set after the first call in `api: 'auto'` mode). */
  probe: ApiProbe | undefined
  private selection: Promise<OpencodeApi> | undefined
  private v2Transport: V2Client | undefined
  /**
   * Which API each session speaks when this client speaks v2: a session with its own permission
   * rules lives on the legacy API (v2 has no per-session rules and its runner ignores legacy ones).
   */
  private readonly sessionApis = new Map<string, Promise<OpencodeApi>>()
  /** Permission and question requests streamed by legacy sessions of a v2 client → their session. */
  private readonly legacyRequests = new Map<string, string>()

  /** A client for one OpenCode server; nothing is sent until a method is called. */
  constructor(options: ClientOptions = {}) {
    this.options = options
    this.base = parseBaseUrl(options.baseUrl ?? env('OPENCODE_URL') ?? DEFAULT_BASE_URL)
    this.where = `${this.base.origin}${this.base.pathname.replace(/\/+$/, '')}`
    this.baseUrl = `${this.where}${this.base.search}`
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.clock = options.clock ?? systemClock
  }

  // ── sessions ────────────────────────────────────────────────────────────────────────────────

  /**
   * The API this client speaks: the forced one, or (`api: 'auto'`) the probe's choice, probed once.
   *
   * @example
   * ```ts
   * const client = new Client({ baseUrl: 'http://127.0.0.1:4096' })
   * console.log(await client.api(), client.probe?.version) // 'v2' '1.18.33'
   * ```
   */
  api(options: CallOptions = {}): Promise<OpencodeApi> {
    const forced = this.options.api
    if (forced === 'v1' || forced === 'v2') return Promise.resolve(forced)
    this.selection ??= probeApi((path) => this.probeGet(path, options)).then(
      (probe) => {
        this.probe = probe
        const check = probe.versionCheck
        // Outside the tested range: one warning per client, the calls go on (it may well work).
        if (check && check.status !== 'supported')
          reportError(
            this.options.onError,
            new UnsupportedServerError(check.message, { found: `version ${check.version}` }),
            { feature: 'opencode.client', action: 'probe', handled: true, severity: 'warning' },
          )
        return probe.api
      },
      (error: unknown) => {
        this.selection = undefined // a failed probe (server down) is retried by the next call
        throw error
      },
    )
    return this.selection
  }

  /** The v2 transport when this client speaks v2, else undefined. */
  private async v2(options: CallOptions = {}): Promise<V2Client | undefined> {
    if ((await this.api(options)) !== 'v2') return undefined
    this.v2Transport ??= new V2Client(this.v2Http())
    return this.v2Transport
  }

  /** The v2 transport when this session speaks v2 (see {@link Client.sessionApi}), else undefined. */
  private async v2For(sessionId: string, options: CallOptions = {}): Promise<V2Client | undefined> {
    const v2 = await this.v2(options)
    if (!v2) return undefined
    return (await this.sessionApi(sessionId, options)) === 'v2' ? v2 : undefined
  }

  /**
   * The API one session speaks on a client that speaks v2. Sessions this client made are known; for
   * another one (made by another process, or before a restart) on a server that also offers the
   * legacy API, its legacy record says whether it carries its own permission rules: then it stays
   * on the legacy API, where they are enforced.
   */
  private sessionApi(sessionId: string, options: CallOptions): Promise<OpencodeApi> {
    const known = this.sessionApis.get(sessionId)
    if (known) return known
    if (this.options.api === 'v2' || !this.probe?.offers.includes('v1')) return Promise.resolve('v2')
    const lookup = (
      this.request('GET', `/session/${encodeURIComponent(sessionId)}`, options) as Promise<OpencodeSession>
    ).then<OpencodeApi, OpencodeApi>(
      (session) => (hasOwnRules(session) ? 'v1' : 'v2'),
      (error: unknown) => {
        this.sessionApis.delete(sessionId) // not cached: the v2 route reports a missing session
        if (error instanceof SessionNotFoundError) return 'v2'
        throw error
      },
    )
    this.rememberSessionApi(sessionId, lookup)
    return lookup
  }

  private rememberSessionApi(sessionId: string, api: Promise<OpencodeApi>): void {
    // Bounded: the oldest entries go first (a forgotten session is looked up again).
    if (this.sessionApis.size >= MAX_SESSION_APIS) {
      const oldest = this.sessionApis.keys().next().value
      if (oldest !== undefined) this.sessionApis.delete(oldest)
    }
    this.sessionApis.set(sessionId, api)
  }

  /**
   * `POST /session` (v2: `POST /api/session`).
   *
   * Permission rules on a client that speaks v2: OpenCode's v2 API has no per-session rules. When
   * the server also offers the legacy API (1.18) and the API was not forced, the session is made
   * there with its rules and this client keeps speaking the legacy API for it (its prompts, events,
   * messages, aborts and replies), so the rules hold. Forced `api: 'v2'`, or a server that only
   * offers v2, throws {@link UnsupportedFeatureError} saying what to do instead.
   */
  async createSession(input: CreateSessionInput = {}, options: CallOptions = {}): Promise<OpencodeSession> {
    const v2 = await this.v2(options)
    const ownRules = (input.permissions?.length ?? 0) > 0
    if (v2 && !(ownRules && this.options.api !== 'v2' && this.probe?.offers.includes('v1'))) {
      if (ownRules) throw noSessionRules(this.options.api === 'v2' ? 'forced' : 'v2-only')
      const session = await v2.createSession(input, options)
      this.rememberSessionApi(session.id, Promise.resolve<OpencodeApi>('v2'))
      return session
    }
    const session = await this.legacyCreateSession(input, options)
    if (v2 && typeof session?.id === 'string')
      this.rememberSessionApi(session.id, Promise.resolve<OpencodeApi>('v1'))
    return session
  }

  private legacyCreateSession(input: CreateSessionInput, options: CallOptions): Promise<OpencodeSession> {
    const [providerID, ...model] = input.model?.split('/') ?? []
    return this.request('POST', '/session', {
      ...options,
      body: {
        title: input.title,
        permission: input.permissions,
        parentID: input.parentId,
        agent: input.agent,
        model: input.model ? { providerID, id: model.join('/') } : undefined,
        metadata: input.metadata,
        workspaceID: input.workspaceId,
      },
    }) as Promise<OpencodeSession>
  }

  /** `GET /session/:id` (v2: `GET /api/session/:id`). */
  async getSession(id: string, options: CallOptions = {}): Promise<OpencodeSession> {
    const v2 = await this.v2For(id, options)
    if (v2) return v2.getSession(id, options)
    return this.request('GET', `/session/${encodeURIComponent(id)}`, options) as Promise<OpencodeSession>
  }

  /** `GET /session`. */
  listSessions(options: CallOptions = {}): Promise<OpencodeSession[]> {
    return this.request('GET', '/session', options) as Promise<OpencodeSession[]>
  }

  /** `GET /session/:id/children`. */
  children(id: string, options: CallOptions = {}): Promise<OpencodeSession[]> {
    return this.request('GET', `/session/${encodeURIComponent(id)}/children`, options) as Promise<
      OpencodeSession[]
    >
  }

  /** `GET /session/status`. */
  sessionStatus(options: CallOptions = {}): Promise<JsonObject> {
    return this.request('GET', '/session/status', options) as Promise<JsonObject>
  }

  /** `PATCH /session/:id` with new permission rules. */
  updateSession(
    id: string,
    input: { permissions: PermissionRule[] },
    options: CallOptions = {},
  ): Promise<OpencodeSession> {
    return this.request('PATCH', `/session/${encodeURIComponent(id)}`, {
      ...options,
      body: { permission: input.permissions },
    }) as Promise<OpencodeSession>
  }

  /** `DELETE /session/:id` (the v2 API has no delete route: both use this one). */
  async deleteSession(id: string, options: CallOptions = {}): Promise<unknown> {
    const v2 = await this.v2(options)
    if (v2) return v2.deleteSession(id, options)
    return this.request('DELETE', `/session/${encodeURIComponent(id)}`, options)
  }

  /**
   * `POST /session/:id/abort` (the server answers `true` even for idle or unknown sessions); v2:
   * `POST /api/session/:id/interrupt` (404 for an unknown session).
   */
  async abortSession(id: string, options: CallOptions = {}): Promise<unknown> {
    const v2 = await this.v2For(id, options)
    if (v2) return v2.abortSession(id, options)
    return this.request('POST', `/session/${encodeURIComponent(id)}/abort`, { ...options, body: {} })
  }

  // ── messages ────────────────────────────────────────────────────────────────────────────────

  /** `POST /session/:id/message`: prompt and wait for the answer. */
  sendMessage(sessionId: string, text: string, options: PromptOptions = {}): Promise<OpencodeMessage> {
    return this.request('POST', `/session/${encodeURIComponent(sessionId)}/message`, {
      ...options,
      body: this.promptBody(text, options),
    }) as Promise<OpencodeMessage>
  }

  /**
   * Prompt a session and return at once (`POST /session/:id/prompt_async`, 204); follow the turn
   * with {@link Client.events}, subscribed before the prompt (send it from `onceConnected`).
   *
   * @example
   * ```ts
   * await client.prompt(sessionId, { text: 'Summarize the ticket', agent: 'plan', messageId: 'msg_…' })
   * ```
   */
  async prompt(sessionId: string, input: PromptInput): Promise<void> {
    const { text, ...options } = input
    const v2 = await this.v2For(sessionId, options)
    if (v2) return v2.prompt(sessionId, { ...options, text })
    await this.request('POST', `/session/${encodeURIComponent(sessionId)}/prompt_async`, {
      ...options,
      body: this.promptBody(text, options),
    })
  }

  /**
   * `GET /session/:id/message`: every message of the session, oldest first (v2: every page of
   * `GET /api/session/:id/message`, in the same `{info, parts}` shape).
   */
  async getMessages(sessionId: string, options: CallOptions = {}): Promise<OpencodeMessage[]> {
    const v2 = await this.v2For(sessionId, options)
    if (v2) return v2.getMessages(sessionId, options)
    const messages = await this.request('GET', `/session/${encodeURIComponent(sessionId)}/message`, options)
    return Array.isArray(messages) ? (messages as OpencodeMessage[]) : []
  }

  // ── questions and permissions ───────────────────────────────────────────────────────────────

  /** `POST /question/:id/reply` (v2: `POST /api/session/:sessionId/question/:id/reply`). */
  async replyQuestion(input: QuestionReply, options: CallOptions = {}): Promise<unknown> {
    const v2 = await this.v2ForRequest(input, options)
    if (v2) return v2.replyQuestion(input, options)
    return this.request('POST', `/question/${encodeURIComponent(input.requestId)}/reply`, {
      ...options,
      body: { answers: input.answers },
    })
  }

  /** `POST /question/:id/reject` (v2: `POST /api/session/:sessionId/question/:id/reject`). */
  async rejectQuestion(input: QuestionReject, options: CallOptions = {}): Promise<unknown> {
    const v2 = await this.v2ForRequest(input, options)
    if (v2) return v2.rejectQuestion(input, options)
    return this.request('POST', `/question/${encodeURIComponent(input.requestId)}/reject`, {
      ...options,
      body: {},
    })
  }

  /** `GET /question` (a non-array answer becomes `[]`). */
  async listQuestions(options: CallOptions = {}): Promise<JsonObject[]> {
    const questions = await this.request('GET', '/question', options)
    return Array.isArray(questions) ? (questions as JsonObject[]) : []
  }

  /**
   * `POST /permission/:id/reply` with `once`, `always` or `reject` (v2:
   * `POST /api/session/:sessionId/permission/:id/reply`).
   */
  async replyPermission(input: PermissionReply, options: CallOptions = {}): Promise<unknown> {
    const v2 = await this.v2ForRequest(input, options)
    if (v2) return v2.replyPermission(input, options)
    return this.request('POST', `/permission/${encodeURIComponent(input.requestId)}/reply`, {
      ...options,
      body: { reply: input.reply, message: input.message },
    })
  }

  /** The v2 transport when the request's session (named, or the one that streamed it) speaks v2. */
  private async v2ForRequest(
    input: { requestId: string; sessionId?: string },
    options: CallOptions,
  ): Promise<V2Client | undefined> {
    const sessionId = input.sessionId ?? this.legacyRequests.get(input.requestId)
    return sessionId === undefined ? this.v2(options) : this.v2For(sessionId, options)
  }

  /** `GET /global/health`. */
  health(options: CallOptions = {}): Promise<{ healthy: boolean; version?: string }> {
    return this.request('GET', '/global/health', { ...options, scoped: false }) as Promise<{
      healthy: boolean
      version?: string
    }>
  }

  // ── streaming ───────────────────────────────────────────────────────────────────────────────

  /**
   * The events of one session, as an async iterable: `server.connected` (once per connection),
   * heartbeats, and every event of the session, ending after its terminal idle (`session.status`
   * idle or the legacy `session.idle`). Subscribes first, then runs `onceConnected` once (send the
   * prompt there, so no event is missed); reconnects transparently after a dropped connection
   * (events between two connections are not replayed by the server: resync from
   * {@link Client.getMessages} after a gap), and gates each new connection on its own
   * `server.connected`.
   *
   * Every stream of this client (with the same clock) shares ONE event subscription: the server
   * sends each subscription every event of its directory, so N turns with N subscriptions would
   * parse N × all events. The subscription opens with the first stream and closes after the last.
   *
   * Ends with a typed error: {@link TimeoutError} (overall deadline), {@link StaleSessionError}
   * (no session event in time), {@link IdleStreamError}, {@link AbortError}, {@link ConnectionError}
   * (the first connection refused: the server is not there), {@link SessionNotFoundError},
   * {@link ServerError} (a non-2xx event stream, an oversized frame). A consumer that falls more
   * than 50 000 events behind ends it with an {@link OpencodeError}. Leaving the loop early closes
   * the subscription.
   *
   * @example
   * ```ts
   * const reply = new Reply()
   * for await (const event of client.events(sessionId, {
   *   signal,
   *   onceConnected: () => client.prompt(sessionId, { text: 'Hi' }),
   *   blocked: () => reply.promptBlocked,
   *   deadlines: { overallMs: 600_000, firstEventMs: 120_000 },
   * })) reply.apply(event)
   * console.log(reply.result.fullText)
   * ```
   */
  async *events(
    sessionId: string,
    options: EventsOptions = {},
  ): AsyncGenerator<OpencodeEvent, void, undefined> {
    const v2 = await this.v2({ signal: options.signal })
    if (!v2) yield* this.legacyEvents(sessionId, options)
    else if ((await this.sessionApi(sessionId, { signal: options.signal })) === 'v2')
      yield* v2.events(sessionId, options)
    else
      for await (const event of this.legacyEvents(sessionId, options)) {
        this.noteLegacyRequest(sessionId, event)
        yield event
      }
  }

  /** A request asked by a legacy session of a v2 client: its reply goes to the legacy route. */
  private noteLegacyRequest(sessionId: string, event: OpencodeEvent): void {
    if (event.type !== 'permission.asked' && event.type !== 'question.asked') return
    const id = event.properties.id
    if (typeof id !== 'string') return
    if (this.legacyRequests.size >= MAX_SESSION_APIS) {
      const oldest = this.legacyRequests.keys().next().value
      if (oldest !== undefined) this.legacyRequests.delete(oldest)
    }
    this.legacyRequests.set(id, sessionId)
  }

  private legacyEvents(sessionId: string, options: EventsOptions): AsyncIterable<OpencodeEvent> {
    const clock = options.clock ?? this.clock
    return new SessionStream(this.streamSettings(sessionId, options, clock), () => this.hubFor(clock))
  }

  /**
   * Convenience: prompt a session and stream its reply. Subscribes, sends the prompt once, applies
   * every event to a {@link Reply} (`onPart` is notified of text deltas), then merges the final
   * messages and returns the result with the turn's usage (cost and tokens summed over every model
   * step). The final poll is bounded by `finalPollTimeoutMs` (10 s) and best effort: when it fails
   * or times out the streamed reply stands; an abort still rejects with {@link AbortError}.
   *
   * Rejects with {@link UpstreamError} when the session reported an error (`session.error`: the
   * model provider failed, or the turn was aborted upstream); its `result` holds what was streamed.
   *
   * @example
   * ```ts
   * const result = await client.stream(sessionId, 'Summarize the ticket', { signal }, ({ delta }) => process.stdout.write(delta))
   * console.log(result.fullText, result.usage.cost)
   * ```
   */
  async stream(
    sessionId: string,
    text: string,
    options: StreamOptions = {},
    onPart?: (event: { part: unknown; index: number; delta: string }) => void,
  ): Promise<StreamResult> {
    const {
      observer,
      deadlines,
      reconnectDelayMs,
      finalPollTimeoutMs = 10_000,
      timeoutMs,
      clock,
      signal,
      ...prompt
    } = options
    const reply = new Reply({ clock: clock ?? this.clock, onError: this.options.onError })
    if (observer) reply.addObserver(observer)
    if (onPart) reply.addObserver({ partChanged: onPart })
    let upstream: UpstreamErrorInfo | undefined
    for await (const event of this.events(sessionId, {
      signal,
      clock,
      reconnectDelayMs,
      blocked: () => reply.promptBlocked,
      deadlines: { overallMs: timeoutMs, ...deadlines },
      onceConnected: () => this.prompt(sessionId, { ...prompt, text, signal }),
    })) {
      reply.apply(event)
      if (event.type === 'session.error') upstream = upstreamErrorOf(event.properties.error)
    }
    const usage = reply.usage
    try {
      const messages = await this.getMessages(sessionId, { signal, timeoutMs: finalPollTimeoutMs })
      const merged = mergeFinalExchange(reply.parts, messages)
      if (merged.length > 0) {
        reply.syncRecoveredParts(merged)
        if (JSON.stringify(reply.parts) !== JSON.stringify(merged)) reply.replaceParts(merged)
      }
    } catch (error) {
      if (signal?.aborted) throw new AbortError('The stream was aborted', { cause: signal.reason })
      reportError(this.options.onError, error, {
        feature: 'opencode.stream',
        action: 'final_poll',
        handled: true,
        severity: 'warning',
        sessionId,
      })
    }
    const result: StreamResult = { ...reply.result, usage }
    if (upstream)
      throw new UpstreamError(
        `The session reported an error: ${[upstream.name, upstream.message].filter(Boolean).join(': ')}`,
        { ...upstream, result },
      )
    return result
  }

  /** The shared subscription of the streams on `clock` (made when none is open). */
  private hubFor(clock: Clock): EventHub {
    const open = this.hubs.get(clock)
    if (open && !open.closed) return open
    const hub: EventHub = new EventHub(this.eventFeed(), clock, () => {
      if (this.hubs.get(clock) === hub) this.hubs.delete(clock)
    })
    this.hubs.set(clock, hub)
    return hub
  }

  /** The event feed of this client (or, with overrides, a private one). */
  private eventFeed(): EventFeed {
    this.legacyFeed ??= new LegacyEventFeed({
      url: (route) => this.url(route, true),
      headers: () => this.headers(),
      fetch: this.fetchImpl,
      maxFrameSize: this.options.maxFrameSize,
      onError: this.options.onError,
      where: this.where,
    })
    return this.legacyFeed
  }

  private streamSettings(sessionId: string, options: EventsOptions, clock: Clock): SessionStreamSettings {
    const deadlines = options.deadlines ?? {}
    return {
      sessionId,
      signal: options.signal,
      onceConnected: options.onceConnected,
      blocked: options.blocked,
      deadlines: {
        overallMs: deadlines.overallMs ?? 600_000,
        firstEventMs: deadlines.firstEventMs ?? 120_000,
        idleMs: deadlines.idleMs ?? Number.POSITIVE_INFINITY,
        blockedMs: deadlines.blockedMs ?? 3_600_000,
      },
      readMs: deadlines.readMs ?? 30_000,
      connectMs: deadlines.connectMs ?? 10_000,
      reconnectDelayMs: options.reconnectDelayMs ?? 100,
      maxQueuedEvents: 50_000,
      clock,
      onError: this.options.onError,
      onMalformedFrame: this.options.onMalformedFrame,
    }
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────────────

  private promptBody(text: string, options: PromptOptions): JsonObject {
    const [providerID, ...model] = options.model?.split('/') ?? []
    return {
      messageID: options.messageId,
      parts: options.parts ?? [{ type: 'text', text }],
      model: options.model ? { providerID, modelID: model.join('/') } : undefined,
      agent: options.agent,
      noReply: options.noReply,
      tools: options.tools,
      format: options.format,
      system: options.system,
      variant: options.variant,
    }
  }

  /** The plumbing of the v2 transport: this client's requests, with the directory as the header v2 reads. */
  private v2Http(): V2Http {
    const location = (): Record<string, string> =>
      this.options.directory ? { 'x-opencode-directory': this.options.directory } : {}
    return {
      clock: this.clock,
      request: (method, path, options = {}) =>
        this.request(method, path, { ...options, scoped: false, headers: location() }),
      open: (path, signal) =>
        this.fetchImpl(this.url(path, false), {
          headers: { ...this.headers(), ...location(), accept: 'text/event-stream' },
          signal,
        }),
    }
  }

  /** One raw GET for the probe: status, content type and JSON body (HTML and errors are data here). */
  private async probeGet(path: string, options: CallOptions) {
    const headers: Record<string, string> = { ...this.headers(), accept: 'application/json' }
    if (this.options.directory) headers['x-opencode-directory'] = this.options.directory
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 120_000
    const timer = new AbortController()
    const controller = new AbortController()
    this.clock.sleep(timeoutMs, timer.signal).then(
      () => controller.abort(),
      () => {},
    )
    const onAbort = () => controller.abort(options.signal?.reason)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const response = await this.fetchImpl(this.url(path, false), { headers, signal: controller.signal })
      const contentType = response.headers.get('content-type') ?? ''
      const text = await readText(response, controller.signal)
      let json: unknown
      if (contentType.includes('json'))
        try {
          json = JSON.parse(text)
        } catch {}
      return { status: response.status, contentType, json }
    } catch (error) {
      if (options.signal?.aborted)
        throw new AbortError(`GET ${path} was aborted`, { cause: options.signal.reason })
      if (controller.signal.aborted) throw new TimeoutError(`GET ${path} timed out after ${timeoutMs} ms`)
      throw new ConnectionError(
        `Cannot reach OpenCode at ${this.baseUrl}: ${(error as Error)?.message ?? error}`,
        {
          cause: error,
        },
      )
    } finally {
      timer.abort()
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { ...this.options.headers }
    const password = this.options.password ?? env('OPENCODE_SERVER_PASSWORD')
    if (password) headers.authorization = basicAuth(this.options.username ?? 'opencode', password)
    return headers
  }

  private url(path: string, scoped: boolean): string {
    const url = new URL(this.base)
    // A path may carry its own query (the v2 routes page with `?after=…&limit=…`).
    const [pathname = '', query] = path.split('?', 2)
    url.pathname = this.base.pathname.replace(/\/+$/, '') + pathname
    if (query) for (const [name, value] of new URLSearchParams(query)) url.searchParams.set(name, value)
    if (scoped && this.options.directory) url.searchParams.set('directory', this.options.directory)
    if (scoped && this.options.workspace) url.searchParams.set('workspace', this.options.workspace)
    return url.toString()
  }

  /** One JSON request with the status → error mapping. */
  private request(
    method: string,
    path: string,
    options: CallOptions & { body?: unknown; scoped?: boolean; headers?: Record<string, string> } = {},
  ): Promise<unknown> {
    trace(this.options.onTrace, 'request', { method, path }, this.options.onError)
    const startedAt = this.clock.now()
    let status: number | undefined
    const finished = (error?: unknown) =>
      trace(
        this.options.onTrace,
        'request.finished',
        {
          method,
          path,
          status,
          durationMs: this.clock.now() - startedAt,
          ...(error === undefined ? {} : { error: error instanceof Error ? error.name : String(error) }),
        },
        this.options.onError,
      )
    return (async () => {
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 120_000
      const controller = new AbortController()
      const onAbort = () => controller.abort(options.signal?.reason)
      if (options.signal?.aborted)
        throw new AbortError(`${method} ${path} was aborted`, { cause: options.signal.reason })
      options.signal?.addEventListener('abort', onAbort, { once: true })
      let timedOut = false
      // The timeout runs on the injected clock, so tests can fire it without waiting.
      const timer = new AbortController()
      this.clock.sleep(timeoutMs, timer.signal).then(
        () => {
          timedOut = true
          controller.abort()
        },
        () => {},
      )
      let response: Response
      let text: string
      try {
        response = await this.fetchImpl(this.url(path, options.scoped !== false), {
          method,
          headers: {
            ...this.headers(),
            ...options.headers,
            accept: 'application/json',
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: controller.signal,
        })
        status = response.status
        text = await readText(response, controller.signal)
      } catch (error) {
        if (timedOut)
          throw new TimeoutError(`${method} ${path} timed out after ${timeoutMs} ms`, { cause: error })
        if (options.signal?.aborted)
          throw new AbortError(`${method} ${path} was aborted`, { cause: options.signal.reason })
        if (error instanceof OpencodeError) throw error
        throw new ConnectionError(
          `Cannot reach OpenCode at ${this.where}: ${(error as Error)?.message ?? error}`,
          { cause: error },
        )
      } finally {
        timer.abort()
        options.signal?.removeEventListener('abort', onAbort)
      }
      return parseResponse(method, path, response, text)
    })().then(
      (result) => {
        finished()
        return result
      },
      (error: unknown) => {
        finished(error)
        throw error
      },
    )
  }
}

/**
 * The base URL, validated: http(s) only (`localhost:4096` without a scheme parses as the scheme
 * `localhost:` and would reconnect forever), the path without its trailing slash.
 */
function parseBaseUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch (cause) {
    throw new InvalidArgumentError(
      `Invalid OpenCode base URL ${JSON.stringify(text)}: expected http(s)://host:port`,
      {
        cause,
      },
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(
      `Invalid OpenCode base URL ${JSON.stringify(text)}: expected http:// or https://, got ${url.protocol}`,
    )
  url.hash = ''
  return url
}

/** `Basic <base64>` of `user:password` as UTF-8 bytes (RFC 7617; `btoa` alone throws outside Latin-1). */
function basicAuth(username: string, password: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(`${username}:${password}`)) binary += String.fromCharCode(byte)
  return `Basic ${btoa(binary)}`
}

function parseResponse(method: string, path: string, response: Response, text: string): unknown {
  const status = response.status
  if (status === 204 || (response.ok && text.trim() === '')) return {}
  let body: unknown
  let json = true
  try {
    body = JSON.parse(text)
  } catch {
    json = false
    body = text
  }
  if (response.ok) {
    if (!json)
      throw new ServerError(`Invalid JSON from OpenCode (HTTP ${status}): ${text.slice(0, 200)}`, {
        status,
        body: text,
      })
    return body
  }
  const data = isObject(body) && isObject(body.data) ? body.data : {}
  const message =
    (typeof data.message === 'string' && data.message) ||
    (isObject(body) && typeof body.message === 'string' && body.message) ||
    (typeof body === 'string' && body.trim() !== '' ? body.slice(0, 200) : undefined) ||
    (status < 400 ? `Unexpected response: ${status}` : undefined) ||
    FALLBACK_MESSAGES[status >= 500 ? 500 : status === 404 ? 404 : 400] ||
    `HTTP ${status}`
  const options = { status, body }
  if (status === 404) throw new SessionNotFoundError(message, options)
  if (status >= 400 && status < 500) throw new BadRequestError(message, options)
  if (status >= 500) throw new ServerError(message, options)
  throw new OpencodeError(`${method} ${path}: ${message}`, options)
}

/** The body as text; rejects as soon as `signal` aborts, even if the body stream ignores it. */
function readText(response: Response, signal: AbortSignal): Promise<string> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<string>((resolve, reject) => {
    const onAbort = () => {
      response.body?.cancel(signal.reason).catch(() => {})
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    response.text().then(
      (text) => {
        signal.removeEventListener('abort', onAbort)
        resolve(text)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** The flattened `error` of a `session.error` event. */
function upstreamErrorOf(error: unknown): UpstreamErrorInfo {
  const info: UpstreamErrorInfo = {}
  if (!isObject(error)) return info
  const data = isObject(error.data) ? error.data : {}
  if (typeof error.name === 'string') info.name = error.name
  if (typeof data.message === 'string') info.message = data.message
  if (typeof data.statusCode === 'number') info.statusCode = data.statusCode
  if (typeof data.isRetryable === 'boolean') info.retryable = data.isRetryable
  return info
}

/** Whether a legacy session record carries its own permission rules. */
function hasOwnRules(session: OpencodeSession | undefined): boolean {
  const rules = isObject(session) ? session.permission : undefined
  return Array.isArray(rules) && rules.length > 0
}

/** Per-session rules asked of a client that can only make v2 sessions. */
function noSessionRules(why: 'forced' | 'v2-only'): UnsupportedFeatureError {
  const instead =
    "configure the rules on an agent (`agent.<name>.permission` in the server's opencode.json), pass `agent: '<name>'` and `permissions: 'server-defaults'` to the kit"
  return new UnsupportedFeatureError(
    why === 'forced'
      ? `OpenCode's v2 API has no per-session permission rules and this client was forced to it (api: 'v2'): leave \`api\` at 'auto' on a server that also offers the legacy API (the session then stays on it), or ${instead}`
      : `This server offers only OpenCode's v2 API, which has no per-session permission rules: ${instead}`,
  )
}
