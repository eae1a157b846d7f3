import { type Clock, systemClock } from '../support/Clock.js'
import type { ErrorHook } from '../support/ErrorHook.js'
import { reportError } from '../support/reportError.js'
import type { TraceHook } from '../support/TraceHook.js'
import { trace } from '../support/trace.js'
import {
  AbortError,
  BadRequestError,
  ConnectionError,
  IdleStreamError,
  InvalidArgumentError,
  OpencodeError,
  ServerError,
  SessionNotFoundError,
  StaleSessionError,
  TimeoutError,
} from './errors.js'
import { mergeFinalExchange } from './mergeFinalExchange.js'
import { Reply, type ReplyResult } from './Reply.js'
import type { ReplyObserver } from './ReplyObserver.js'
import { SseDecoder } from './SseDecoder.js'
import {
  closesAfterConnected,
  isSessionNotFoundError,
  type LegacyEventRoute,
  unwrapGlobalEventFrame,
} from './serverLineDifferences.js'
import {
  isObject,
  type JsonObject,
  type OpencodeEvent,
  type OpencodeMessage,
  type OpencodeSession,
  type PermissionRule,
} from './types.js'
import type {
  CallOptions,
  CreateSessionInput,
  EventsOptions,
  MalformedFrame,
  PromptInput,
  PromptOptions,
  StreamEventsOptions,
  WireClient,
} from './WireClient.js'

/** @deprecated Import it from the package root; kept here while the host layer moves to `events`. */
export type { StreamEventsOptions } from './WireClient.js'

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
}

const DEFAULT_BASE_URL = 'http://localhost:4096'
const FALLBACK_MESSAGES: Record<string, string> = {
  404: 'Session not found',
  400: 'Bad request',
  500: 'Server error',
}

const env = (name: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name]

/** Marks an error thrown by a caller's callback, so the stream loop re-throws it instead of reconnecting. */
class CallbackFailure {
  constructor(readonly error: unknown) {}
}

const RACE_SETTLED = Symbol('race settled')
const TRANSPORT = Symbol('transport')
type TransportFailure = { [TRANSPORT]: true; cause: unknown }
const transport = (cause: unknown): TransportFailure => ({ [TRANSPORT]: true, cause })
const isTransport = (value: unknown): value is TransportFailure => isObject(value) && TRANSPORT in value

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
  private readonly options: ClientOptions
  private readonly fetchImpl: typeof fetch
  /** The clock for deadlines and delays. */
  readonly clock: Clock
  /** Where session events come from: `/event`, or `/global/event` on a server whose `/event` is broken. */
  private eventRoute: LegacyEventRoute = '/event'

  /** A client for one OpenCode server; nothing is sent until a method is called. */
  constructor(options: ClientOptions = {}) {
    this.options = options
    this.base = parseBaseUrl(options.baseUrl ?? env('OPENCODE_URL') ?? DEFAULT_BASE_URL)
    this.baseUrl = `${this.base.origin}${this.base.pathname.replace(/\/+$/, '')}${this.base.search}`
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.clock = options.clock ?? systemClock
  }

  // ── sessions ────────────────────────────────────────────────────────────────────────────────

  /** `POST /session`. */
  createSession(input: CreateSessionInput = {}, options: CallOptions = {}): Promise<OpencodeSession> {
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

  /** `GET /session/:id`. */
  getSession(id: string, options: CallOptions = {}): Promise<OpencodeSession> {
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

  /** `DELETE /session/:id`. */
  deleteSession(id: string, options: CallOptions = {}): Promise<unknown> {
    return this.request('DELETE', `/session/${encodeURIComponent(id)}`, options)
  }

  /** `POST /session/:id/abort` (the server answers `true` even for idle or unknown sessions). */
  abortSession(id: string, options: CallOptions = {}): Promise<unknown> {
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
    await this.sendMessageAsync(sessionId, text, options)
  }

  /** @deprecated Use {@link Client.prompt}. `POST /session/:id/prompt_async`. */
  async sendMessageAsync(sessionId: string, text: string, options: PromptOptions = {}): Promise<void> {
    await this.request('POST', `/session/${encodeURIComponent(sessionId)}/prompt_async`, {
      ...options,
      body: this.promptBody(text, options),
    })
  }

  /** `GET /session/:id/message`: every message of the session, oldest first. */
  async getMessages(sessionId: string, options: CallOptions = {}): Promise<OpencodeMessage[]> {
    const messages = await this.request('GET', `/session/${encodeURIComponent(sessionId)}/message`, options)
    return Array.isArray(messages) ? (messages as OpencodeMessage[]) : []
  }

  // ── questions and permissions ───────────────────────────────────────────────────────────────

  /** `POST /question/:id/reply`. */
  replyQuestion(input: { requestId: string; answers: unknown }, options: CallOptions = {}): Promise<unknown> {
    return this.request('POST', `/question/${encodeURIComponent(input.requestId)}/reply`, {
      ...options,
      body: { answers: input.answers },
    })
  }

  /** `POST /question/:id/reject`. */
  rejectQuestion(input: { requestId: string }, options: CallOptions = {}): Promise<unknown> {
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

  /** `POST /permission/:id/reply` with `once`, `always` or `reject`. */
  replyPermission(
    input: { requestId: string; reply: 'once' | 'always' | 'reject'; message?: string },
    options: CallOptions = {},
  ): Promise<unknown> {
    return this.request('POST', `/permission/${encodeURIComponent(input.requestId)}/reply`, {
      ...options,
      body: { reply: input.reply, message: input.message },
    })
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
   * `server.connected`. Ends with a typed error: {@link TimeoutError} (overall deadline),
   * {@link StaleSessionError} (no session event in time), {@link IdleStreamError},
   * {@link AbortError}, {@link ServerError} (a non-2xx event stream, an oversized frame). Leaving
   * the loop early closes the subscription.
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
  events(sessionId: string, options: EventsOptions = {}): AsyncIterable<OpencodeEvent> {
    const deadlines = options.deadlines ?? {}
    const blocked = options.blocked
    return iterateCallbacks<OpencodeEvent>((onEvent, closed) =>
      this.streamEvents(
        {
          sessionId,
          signal: options.signal ? AbortSignal.any([options.signal, closed]) : closed,
          clock: options.clock,
          timeoutMs: deadlines.overallMs,
          firstEventTimeoutMs: deadlines.firstEventMs,
          idleStreamTimeoutMs: deadlines.idleMs,
          readTimeoutMs: deadlines.readMs,
          connectTimeoutMs: deadlines.connectMs,
          reconnectDelayMs: options.reconnectDelayMs,
          reply: blocked
            ? {
                get promptBlocked() {
                  return blocked()
                },
              }
            : undefined,
          onSubscribed: options.onceConnected
            ? async () => (await options.onceConnected?.()) !== false
            : undefined,
        },
        onEvent,
      ),
    )
  }

  /**
   * @deprecated Use {@link Client.events}.
   *
   * Follow `GET /event` for one session until it goes idle. Subscribes first and calls
   * `onSubscribed` once after the first `server.connected` (send the prompt there, so no event is
   * missed); reconnects transparently on transport errors and on a clean end of the stream, without
   * ever calling `onSubscribed` again. Errors thrown by `onSubscribed`, `onActivityTick` or
   * `onEvent` propagate unchanged.
   */
  async streamEvents(
    options: StreamEventsOptions,
    onEvent: (event: OpencodeEvent) => void | Promise<void>,
  ): Promise<void> {
    const clock = options.clock ?? this.clock
    const fetchImpl = options.fetch ?? this.fetchImpl
    const maxFrameSize = options.maxFrameSize ?? this.options.maxFrameSize
    const onMalformedFrame = options.onMalformedFrame ?? this.options.onMalformedFrame
    const timeoutMs = options.timeoutMs ?? 600_000
    const firstEventTimeoutMs = options.firstEventTimeoutMs ?? 120_000
    const readTimeoutMs = options.readTimeoutMs ?? 30_000
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    const reconnectDelayMs = options.reconnectDelayMs ?? 100
    const idleStreamTimeoutMs = options.idleStreamTimeoutMs
    const signal = options.signal
    const sessionId = options.sessionId
    let overallDeadline = clock.now() + timeoutMs
    let firstEventDeadline = clock.now() + firstEventTimeoutMs
    let sessionEventSeen = false
    let lastSessionEventAt = clock.now()
    let subscribeAttempted = false

    const abortError = () => new AbortError('The event stream was aborted', { cause: signal?.reason })
    const checkDeadlines = () => {
      if (signal?.aborted) throw abortError()
      const now = clock.now()
      const blocked = options.reply?.promptBlocked === true
      if (now >= overallDeadline) {
        // A pending question or permission can take a human many minutes: push, don't fire.
        if (blocked) overallDeadline = now + timeoutMs
        else throw new TimeoutError(`No terminal event for session ${sessionId} within ${timeoutMs} ms`)
      }
      if (!sessionEventSeen && now >= firstEventDeadline) {
        throw new StaleSessionError(`No event for session ${sessionId} within ${firstEventTimeoutMs} ms`)
      }
      if (idleStreamTimeoutMs !== undefined && sessionEventSeen && !blocked) {
        if (now - lastSessionEventAt >= idleStreamTimeoutMs) {
          throw new IdleStreamError(`Session ${sessionId} went silent for ${idleStreamTimeoutMs} ms`)
        }
      }
    }
    const nextDeadlineIn = () => {
      const now = clock.now()
      let next = overallDeadline
      if (!sessionEventSeen) next = Math.min(next, firstEventDeadline)
      // A suspended idle window must not count: a past deadline would make every wait zero (a busy loop).
      if (idleStreamTimeoutMs !== undefined && sessionEventSeen && options.reply?.promptBlocked !== true)
        next = Math.min(next, lastSessionEventAt + idleStreamTimeoutMs)
      return Math.max(0, next - now)
    }
    /**
     * Wait for `work`, but wake up at the nearest deadline (or after `maxWaitMs`) and when the
     * caller aborts, so a silent connection still times out on an injected clock.
     */
    const race = async <T>(work: Promise<T>, maxWaitMs: number): Promise<{ value: T } | 'tick'> => {
      const timer = new AbortController()
      const settled = work.then((value) => ({ value }))
      settled.catch(() => {}) // a connection abandoned after a tick may still reject later
      const tick = clock.sleep(Math.min(nextDeadlineIn(), Math.max(0, maxWaitMs)), timer.signal).then(
        () => 'tick' as const,
        () => 'tick' as const,
      )
      const aborted = new Promise<'tick'>((resolve) => {
        if (signal?.aborted) resolve('tick')
        signal?.addEventListener('abort', () => resolve('tick'), { once: true, signal: timer.signal })
      })
      try {
        return await Promise.race([settled, tick, aborted])
      } finally {
        timer.abort(RACE_SETTLED) // a shared reason: no DOMException (and its stack) per read
      }
    }
    const skipFrame = (data: string, error: unknown) => {
      reportError(
        this.options.onError,
        new ServerError(`Malformed SSE frame skipped: ${data.slice(0, 200)}`, { cause: error }),
        { feature: 'opencode.stream', action: 'parse_frame', handled: true, severity: 'warning', sessionId },
      )
      if (!onMalformedFrame) return
      try {
        onMalformedFrame({ data, error, sessionId })
      } catch (hookError) {
        reportError(this.options.onError, hookError, {
          feature: 'opencode.stream',
          action: 'on_malformed_frame',
          handled: true,
          sessionId,
        })
      }
    }

    const handle = (event: OpencodeEvent): boolean | Promise<boolean> => {
      const type = event.type
      const props = event.properties
      if (type !== 'server.connected' && type !== 'server.heartbeat') {
        if (props.sessionID !== sessionId && !belongsTo(event, sessionId)) return false
        if (isSessionNotFoundError(event))
          throw new SessionNotFoundError(`Session not found: ${sessionId} (reported on the event stream)`, {
            body: props.error,
          })
        if (!type.startsWith('server.')) {
          sessionEventSeen = true
          // Only the idle window needs the time of every event.
          if (idleStreamTimeoutMs !== undefined) lastSessionEventAt = clock.now()
        }
      }
      const terminal =
        type === 'session.idle' ||
        (type === 'session.status' &&
          (props.status === 'idle' || (isObject(props.status) && props.status.type === 'idle')))
      // Await only what returns a promise: two awaits per event cost more than decoding it.
      let pending: PromiseLike<unknown> | undefined
      try {
        const ticked = options.onActivityTick?.(event)
        if (isThenable(ticked)) {
          pending = Promise.resolve(ticked).then(() => onEvent(event))
        } else {
          const handled = onEvent(event)
          if (isThenable(handled)) pending = handled
        }
      } catch (error) {
        throw new CallbackFailure(error)
      }
      if (!pending) return terminal
      return Promise.resolve(pending).then(
        () => terminal,
        (error: unknown) => {
          throw new CallbackFailure(error)
        },
      )
    }

    for (;;) {
      checkDeadlines()
      const connection = new AbortController()
      const onAbort = () => connection.abort(signal?.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
      try {
        const connectStartedAt = clock.now()
        const route = this.eventRoute
        const responsePromise = fetchImpl(this.url(route, true), {
          headers: { ...this.headers(), accept: 'text/event-stream' },
          signal: connection.signal,
        })
        let response: Response | undefined
        while (response === undefined) {
          let outcome: { value: Response } | 'tick'
          try {
            outcome = await race(responsePromise, connectStartedAt + connectTimeoutMs - clock.now())
          } catch (error) {
            if (signal?.aborted) throw abortError()
            throw transport(error)
          }
          if (outcome === 'tick') {
            checkDeadlines()
            if (clock.now() - connectStartedAt >= connectTimeoutMs)
              throw transport(
                new TimeoutError(`Connecting to the event stream took over ${connectTimeoutMs} ms`),
              )
            continue
          }
          response = outcome.value
        }
        if (!response.ok || !response.body) {
          const text = await readText(response, connection.signal).catch(() => '')
          throw new ServerError(`Event stream failed (HTTP ${response.status}): ${text.slice(0, 200)}`, {
            status: response.status,
            body: text,
          })
        }
        // Read the bytes directly (no pipe): chunks that arrived before a transport error are kept.
        reader = response.body.getReader()
        const utf8 = new TextDecoder()
        const decoder = new SseDecoder({ maxFrameSize })
        let connected = false
        let framesAfterConnected = 0
        let pendingRead: Promise<ReadableStreamReadResult<Uint8Array>> | undefined
        let lastChunkAt = clock.now()
        for (;;) {
          checkDeadlines()
          let outcome: { value: ReadableStreamReadResult<Uint8Array> } | 'tick' | undefined
          if (!pendingRead) {
            // Fast path: bytes already buffered resolve the read at once, and then arming deadline
            // timers for it (per chunk) would cost more than reading it.
            const read = reader.read()
            pendingRead = read
            read.then(
              (value) => {
                if (pendingRead === read) outcome = { value }
              },
              () => {},
            )
            await undefined
          }
          try {
            outcome ??= await race(pendingRead, lastChunkAt + readTimeoutMs - clock.now())
          } catch (error) {
            if (signal?.aborted) throw abortError()
            throw transport(error)
          }
          if (outcome === 'tick') {
            checkDeadlines()
            if (clock.now() - lastChunkAt >= readTimeoutMs)
              throw transport(new TimeoutError(`No bytes on the event stream for ${readTimeoutMs} ms`))
            continue
          }
          pendingRead = undefined
          if (outcome.value.done) {
            // A clean end without idle: reconnect — to /global/event when /event is the broken one.
            if (connected && closesAfterConnected(route, framesAfterConnected))
              this.followGlobalEvents(sessionId)
            break
          }
          lastChunkAt = clock.now()
          for (const frame of decoder.feed(utf8.decode(outcome.value.value, { stream: true }))) {
            let event: OpencodeEvent
            try {
              event = unwrapGlobalEventFrame(JSON.parse(frame.data)) as OpencodeEvent
            } catch (error) {
              skipFrame(frame.data, error)
              continue
            }
            if (!isObject(event) || typeof event.type !== 'string') {
              skipFrame(frame.data, new ServerError('The frame is not an event object'))
              continue
            }
            if (!isObject(event.properties)) event.properties = {}
            if (connected) framesAfterConnected++
            if (!connected) {
              // Nothing is yielded before the connection's first server.connected.
              if (event.type !== 'server.connected') continue
              connected = true
              if (!subscribeAttempted) {
                // Marked before the call: a prompt that may have been delivered is never sent twice.
                subscribeAttempted = true
                let accepted: unknown
                try {
                  accepted = await options.onSubscribed?.()
                } catch (error) {
                  throw new CallbackFailure(error)
                }
                if (accepted) {
                  overallDeadline = clock.now() + timeoutMs
                  firstEventDeadline = clock.now() + firstEventTimeoutMs
                }
              }
            }
            const terminal = handle(event)
            if (terminal === true || (terminal !== false && (await terminal))) return
          }
        }
      } catch (error) {
        if (error instanceof CallbackFailure) throw error.error
        if (!isTransport(error)) throw error
      } finally {
        signal?.removeEventListener('abort', onAbort)
        connection.abort()
        reader?.cancel().catch(() => {})
      }
      checkDeadlines()
      try {
        await clock.sleep(Math.min(reconnectDelayMs, nextDeadlineIn()), signal)
      } catch {
        throw abortError()
      }
    }
  }

  /**
   * Convenience: prompt a session and stream its reply. Subscribes, sends the prompt once, applies
   * every event to a {@link Reply} (`onPart` is notified of text deltas), then merges the final
   * messages (best effort) and returns the result.
   */
  async stream(
    sessionId: string,
    text: string,
    options: PromptOptions &
      Omit<StreamEventsOptions, 'sessionId' | 'onSubscribed' | 'reply'> & { observer?: ReplyObserver } = {},
    onPart?: (event: { part: unknown; index: number; delta: string }) => void,
  ): Promise<ReplyResult> {
    const reply = new Reply({ clock: this.clock, onError: this.options.onError })
    if (options.observer) reply.addObserver(options.observer)
    if (onPart) reply.addObserver({ partChanged: onPart })
    await this.streamEvents(
      {
        ...options,
        sessionId,
        reply,
        onSubscribed: async () => {
          // `timeoutMs` here is the stream's overall deadline, not the prompt request's timeout.
          await this.sendMessageAsync(sessionId, text, { ...options, timeoutMs: undefined })
          return true
        },
      },
      (event) => reply.apply(event),
    )
    try {
      const merged = mergeFinalExchange(
        reply.parts,
        await this.getMessages(sessionId, { signal: options.signal }),
      )
      if (merged.length > 0) {
        reply.syncRecoveredParts(merged)
        if (JSON.stringify(reply.parts) !== JSON.stringify(merged)) reply.replaceParts(merged)
      }
    } catch {
      // Best effort: the streamed reply stands.
    }
    return reply.result
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

  /** This server's `/event` ends right after `server.connected` (OpenCode 1.14.43–1.14.48): switch for good. */
  private followGlobalEvents(sessionId: string): void {
    if (this.eventRoute === '/global/event') return
    this.eventRoute = '/global/event'
    reportError(
      this.options.onError,
      new ServerError(
        'The server ended GET /event right after server.connected (OpenCode 1.14.43–1.14.48, anomalyco/opencode#27391): following GET /global/event instead',
      ),
      {
        feature: 'opencode.stream',
        action: 'follow_global_events',
        handled: true,
        severity: 'warning',
        sessionId,
      },
    )
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { ...this.options.headers }
    const password = this.options.password ?? env('OPENCODE_SERVER_PASSWORD')
    if (password) headers.authorization = basicAuth(this.options.username ?? 'opencode', password)
    return headers
  }

  private url(path: string, scoped: boolean): string {
    const url = new URL(this.base)
    url.pathname = this.base.pathname.replace(/\/+$/, '') + path
    if (scoped && this.options.directory) url.searchParams.set('directory', this.options.directory)
    if (scoped && this.options.workspace) url.searchParams.set('workspace', this.options.workspace)
    return url.toString()
  }

  /** One JSON request with the status → error mapping. */
  private request(
    method: string,
    path: string,
    options: CallOptions & { body?: unknown; scoped?: boolean } = {},
  ): Promise<unknown> {
    trace(this.options.onTrace, 'request', { method, path }, this.options.onError)
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
            accept: 'application/json',
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: controller.signal,
        })
        text = await readText(response, controller.signal)
      } catch (error) {
        if (timedOut)
          throw new TimeoutError(`${method} ${path} timed out after ${timeoutMs} ms`, { cause: error })
        if (options.signal?.aborted)
          throw new AbortError(`${method} ${path} was aborted`, { cause: options.signal.reason })
        if (error instanceof OpencodeError) throw error
        throw new ConnectionError(
          `Cannot reach OpenCode at ${this.base.origin}${this.base.pathname.replace(/\/+$/, '')}: ${(error as Error)?.message ?? error}`,
          { cause: error },
        )
      } finally {
        timer.abort()
        options.signal?.removeEventListener('abort', onAbort)
      }
      return parseResponse(method, path, response, text)
    })()
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

/**
 * Turn a callback-driven producer into an async iterable with backpressure: the producer's
 * `onEvent` promise settles only when the consumer asks for the next value, and leaving the loop
 * early aborts the producer.
 */
function iterateCallbacks<T>(
  produce: (onEvent: (value: T) => Promise<void>, closed: AbortSignal) => Promise<void>,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      type Waiter = { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }
      let waiter: Waiter | undefined
      let buffered: { value: T; taken: () => void } | undefined
      let finished: { error?: unknown; failed: boolean } | undefined
      let cancel: ((reason: unknown) => void) | undefined
      const closed = new AbortController()
      let started = false
      const stopped = new Promise<never>((_resolve, reject) => {
        cancel = reject
      })
      stopped.catch(() => {})
      const settle = () => {
        if (!waiter) return
        const current = waiter
        if (buffered) {
          waiter = undefined
          const { value, taken } = buffered
          buffered = undefined
          taken()
          current.resolve({ value, done: false })
        } else if (finished) {
          waiter = undefined
          if (finished.failed) {
            const error = finished.error
            finished = { failed: false }
            current.reject(error)
          } else current.resolve({ value: undefined, done: true })
        }
      }
      const start = () => {
        started = true
        produce(
          (value) =>
            Promise.race([
              new Promise<void>((taken) => {
                buffered = { value, taken }
                settle()
              }),
              stopped,
            ]),
          closed.signal,
        ).then(
          () => {
            finished ??= { failed: false }
            settle()
          },
          (error: unknown) => {
            finished ??= { failed: true, error }
            settle()
          },
        )
      }
      return {
        next() {
          return new Promise<IteratorResult<T>>((resolve, reject) => {
            waiter = { resolve, reject }
            if (!started) start()
            else settle()
          })
        },
        async return() {
          finished = { failed: false }
          cancel?.(new IteratorClosed())
          closed.abort(new IteratorClosed())
          buffered = undefined
          return { value: undefined, done: true }
        },
      }
    },
  }
}

/** Why a producer stopped: the consumer left the loop. */
class IteratorClosed extends Error {}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'
}

function belongsTo(event: OpencodeEvent, sessionId: string): boolean {
  const props = event.properties
  if (props.sessionID === sessionId) return true
  if (isObject(props.info) && props.info.sessionID === sessionId) return true
  if (isObject(props.part) && props.part.sessionID === sessionId) return true
  return false
}
