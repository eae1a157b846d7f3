import { type Clock, systemClock } from './Clock.js'
import { reportSafely } from './ErrorReporter.js'
import {
  AbortError,
  BadRequestError,
  ConnectionError,
  IdleStreamError,
  OpencodeError,
  ServerError,
  SessionNotFoundError,
  StaleSessionError,
  TimeoutError,
} from './errors.js'
import { Instrumentation } from './Instrumentation.js'
import { mergeFinalExchange } from './mergeFinalExchange.js'
import { Reply, type ReplyResult } from './Reply.js'
import type { ReplyObserver } from './ReplyObserver.js'
import { SseDecoder } from './SseDecoder.js'
import {
  isObject,
  type JsonObject,
  type OpencodeEvent,
  type OpencodeMessage,
  type OpencodeSession,
  type PermissionRule,
} from './types.js'

/** Options of {@link Client}. */
export interface ClientOptions {
  /** Server URL. Default: `OPENCODE_BASE_URL` from the environment, else `http://localhost:4096`. */
  baseUrl?: string
  /** Server password (`OPENCODE_SERVER_PASSWORD`), sent as HTTP basic auth. */
  password?: string
  /** Basic-auth user name; default `opencode`. */
  username?: string
  /** Extra headers on every request (e.g. your own auth proxy's). */
  headers?: Record<string, string>
  /** Per-request timeout in ms (default 120 000). */
  timeoutMs?: number
  /** Appended as `?directory=` to every session-scoped request. */
  directory?: string
  /** Appended as `?workspace=` to every session-scoped request. */
  workspace?: string
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch
  /** Time source for stream deadlines and reconnect delays. */
  clock?: Clock
  /** Largest SSE frame accepted (see SseDecoder). */
  maxFrameSize?: number
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

/** `createSession` input. */
export interface CreateSessionInput {
  title?: string
  permissions?: PermissionRule[]
  parentId?: string
  agent?: string
  /** `"provider/model"`. */
  model?: string
  metadata?: JsonObject
  workspaceId?: string
}

/** Options of a prompt. */
export interface PromptOptions extends CallOptions {
  messageId?: string
  parts?: JsonObject[]
  /** `"provider/model"`. */
  model?: string
  agent?: string
  noReply?: boolean
  tools?: Record<string, boolean>
  format?: JsonObject
  system?: string
  variant?: string
}

/** Options of {@link Client.streamEvents}. */
export interface StreamEventsOptions {
  sessionId: string
  /** Overall deadline in ms (default 600 000); suspended while `reply.promptBlocked`. */
  timeoutMs?: number
  /** Deadline for the first session event in ms (default 120 000) → StaleSessionError. */
  firstEventTimeoutMs?: number
  /** Idle window after the session went quiet (off by default) → IdleStreamError. */
  idleStreamTimeoutMs?: number
  /** Read timeout of one connection (default 30 000); a silent connection is reopened. */
  readTimeoutMs?: number
  /** Delay before reconnecting (default 100). */
  reconnectDelayMs?: number
  /** Lets a pending question/permission suspend the overall deadline. */
  reply?: { readonly promptBlocked: boolean }
  /** Called for every yielded event, heartbeats included, before `onEvent`. */
  onActivityTick?: (event: OpencodeEvent) => unknown
  /** Called once, after the first `server.connected`: send the prompt here. Truthy → deadlines restart. */
  onSubscribed?: () => unknown
  signal?: AbortSignal
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
export class Client {
  readonly baseUrl: string
  private readonly options: ClientOptions
  private readonly fetchImpl: typeof fetch
  readonly clock: Clock

  constructor(options: ClientOptions = {}) {
    this.options = options
    this.baseUrl = (options.baseUrl ?? env('OPENCODE_BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '')
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

  /** `POST /session/:id/prompt_async`: prompt and return at once (204); follow the turn on the event stream. */
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
    const clock = this.clock
    const timeoutMs = options.timeoutMs ?? 600_000
    const firstEventTimeoutMs = options.firstEventTimeoutMs ?? 120_000
    const readTimeoutMs = options.readTimeoutMs ?? 30_000
    const reconnectDelayMs = options.reconnectDelayMs ?? 100
    const signal = options.signal
    let overallDeadline = clock.now() + timeoutMs
    let firstEventDeadline = clock.now() + firstEventTimeoutMs
    let sessionEventSeen = false
    let lastSessionEventAt = clock.now()
    let subscribeAttempted = false

    const checkDeadlines = () => {
      if (signal?.aborted) throw new AbortError('The event stream was aborted', { cause: signal.reason })
      const now = clock.now()
      const blocked = options.reply?.promptBlocked === true
      if (now >= overallDeadline) {
        if (blocked) overallDeadline = now + timeoutMs
        else throw new TimeoutError(`No terminal event within ${timeoutMs} ms`)
      }
      if (!sessionEventSeen && now >= firstEventDeadline) {
        throw new StaleSessionError(
          `No event for session ${options.sessionId} within ${firstEventTimeoutMs} ms`,
        )
      }
      if (options.idleStreamTimeoutMs !== undefined && sessionEventSeen && !blocked) {
        if (now - lastSessionEventAt >= options.idleStreamTimeoutMs) {
          throw new IdleStreamError(
            `Session ${options.sessionId} went silent for ${options.idleStreamTimeoutMs} ms`,
          )
        }
      }
    }
    const nextDeadlineIn = () => {
      const now = clock.now()
      const deadlines = [overallDeadline]
      if (!sessionEventSeen) deadlines.push(firstEventDeadline)
      if (options.idleStreamTimeoutMs !== undefined && sessionEventSeen)
        deadlines.push(lastSessionEventAt + options.idleStreamTimeoutMs)
      return Math.max(0, Math.min(...deadlines) - now)
    }

    const handle = (event: OpencodeEvent): boolean | Promise<boolean> => {
      const type = event.type
      if (type !== 'server.connected' && type !== 'server.heartbeat') {
        if (!belongsTo(event, options.sessionId)) return false
      }
      if (!type.startsWith('server.')) {
        sessionEventSeen = true
        lastSessionEventAt = clock.now()
      }
      const terminal =
        (type === 'session.status' &&
          isObject(event.properties.status) &&
          event.properties.status.type === 'idle') ||
        type === 'session.idle'
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
        let response: Response
        try {
          response = await this.fetchImpl(this.url('/event', true), {
            headers: { ...this.headers(), accept: 'text/event-stream' },
            signal: connection.signal,
          })
        } catch (error) {
          if (signal?.aborted) throw new AbortError('The event stream was aborted', { cause: signal.reason })
          throw transport(error)
        }
        if (!response.ok || !response.body) {
          const text = await response.text().catch(() => '')
          throw new ServerError(`Event stream failed (HTTP ${response.status}): ${text.slice(0, 200)}`, {
            status: response.status,
            body: text,
          })
        }
        // Read the bytes directly (no pipe): chunks that arrived before a transport error are kept.
        reader = response.body.getReader()
        const utf8 = new TextDecoder()
        const decoder = new SseDecoder({ maxFrameSize: this.options.maxFrameSize })
        let connected = false
        let pendingRead: Promise<ReadableStreamReadResult<Uint8Array>> | undefined
        let lastChunkAt = clock.now()
        for (;;) {
          checkDeadlines()
          pendingRead ??= reader.read()
          const timer = new AbortController()
          const wait = Math.min(nextDeadlineIn(), Math.max(0, lastChunkAt + readTimeoutMs - clock.now()))
          const tick = clock.sleep(wait, timer.signal).then(
            () => 'tick' as const,
            () => 'tick' as const,
          )
          // The caller's abort wins even when the transport does not notice it.
          const aborted = new Promise<'tick'>((resolve) => {
            if (signal?.aborted) resolve('tick')
            signal?.addEventListener('abort', () => resolve('tick'), { once: true, signal: timer.signal })
          })
          let outcome: ReadableStreamReadResult<Uint8Array> | 'tick'
          try {
            outcome = await Promise.race([pendingRead, tick, aborted])
          } catch (error) {
            if (signal?.aborted)
              throw new AbortError('The event stream was aborted', { cause: signal.reason })
            throw transport(error)
          } finally {
            timer.abort()
          }
          if (outcome === 'tick') {
            checkDeadlines()
            if (clock.now() - lastChunkAt >= readTimeoutMs)
              throw transport(new TimeoutError('SSE read timeout'))
            continue
          }
          pendingRead = undefined
          if (outcome.done) break // a clean end: reconnect
          lastChunkAt = clock.now()
          for (const frame of decoder.feed(utf8.decode(outcome.value, { stream: true }))) {
            let event: OpencodeEvent
            try {
              event = JSON.parse(frame.data) as OpencodeEvent
            } catch (error) {
              reportSafely(
                new ServerError(`Malformed SSE frame skipped: ${frame.data.slice(0, 200)}`, { cause: error }),
                {
                  handled: true,
                  severity: 'warning',
                  context: { feature: 'opencode.stream', sessionId: options.sessionId },
                },
              )
              continue
            }
            if (!isObject(event) || typeof event.type !== 'string') continue
            if (!isObject(event.properties)) event.properties = {}
            if (!connected) {
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
        throw new AbortError('The event stream was aborted', { cause: signal?.reason })
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
    const reply = new Reply({ clock: this.clock })
    if (options.observer) reply.addObserver(options.observer)
    if (onPart) reply.addObserver({ partChanged: onPart })
    await this.streamEvents(
      {
        ...options,
        sessionId,
        reply,
        onSubscribed: async () => {
          await this.sendMessageAsync(sessionId, text, options)
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

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { ...this.options.headers }
    const password = this.options.password ?? env('OPENCODE_SERVER_PASSWORD')
    if (password)
      headers.authorization = `Basic ${btoa(`${this.options.username ?? 'opencode'}:${password}`)}`
    return headers
  }

  private url(path: string, scoped: boolean): string {
    const url = new URL(this.baseUrl + path)
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
    return Instrumentation.instrument('opencode.request', { method, path }, async () => {
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 120_000
      const controller = new AbortController()
      const onAbort = () => controller.abort(options.signal?.reason)
      if (options.signal?.aborted)
        throw new AbortError(`${method} ${path} was aborted`, { cause: options.signal.reason })
      options.signal?.addEventListener('abort', onAbort, { once: true })
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        controller.abort()
      }, timeoutMs)
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
        text = await response.text()
      } catch (error) {
        if (timedOut)
          throw new TimeoutError(`${method} ${path} timed out after ${timeoutMs} ms`, { cause: error })
        if (options.signal?.aborted)
          throw new AbortError(`${method} ${path} was aborted`, { cause: options.signal.reason })
        if (error instanceof OpencodeError) throw error
        throw new ConnectionError(
          `Cannot reach OpenCode at ${this.baseUrl}: ${(error as Error)?.message ?? error}`,
          { cause: error },
        )
      } finally {
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
      }
      return parseResponse(method, path, response, text)
    })
  }
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
    (!json && text.trim() !== '' ? text.slice(0, 200) : undefined) ||
    FALLBACK_MESSAGES[status >= 500 ? 500 : status === 404 ? 404 : 400] ||
    `HTTP ${status}`
  const options = { status, body }
  if (status === 404) throw new SessionNotFoundError(message, options)
  if (status >= 400 && status < 500) throw new BadRequestError(message, options)
  if (status >= 500) throw new ServerError(message, options)
  throw new OpencodeError(`${method} ${path}: ${message}`, options)
}

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
