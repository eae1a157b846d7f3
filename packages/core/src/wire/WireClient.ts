import type { Clock } from '../support/Clock.js'
import type { JsonObject, OpencodeEvent, OpencodeMessage, OpencodeSession, PermissionRule } from './types.js'

/** Per-call options. */
export interface CallOptions {
  /** Cancels the call; it then rejects with {@link AbortError}. */
  signal?: AbortSignal
  /** Request timeout in ms (default: the client's `timeoutMs`, 120 000) → {@link TimeoutError}. */
  timeoutMs?: number
}

/** `createSession` input. */
export interface CreateSessionInput {
  /** Session title (OpenCode generates one when absent). */
  title?: string
  /** Permission rules, last match wins (sent as `permission`). */
  permissions?: PermissionRule[]
  /** Parent session (sent as `parentID`). */
  parentId?: string
  /** Default agent of the session. */
  agent?: string
  /** `"provider/model"`. */
  model?: string
  /** Free-form metadata stored with the session. */
  metadata?: JsonObject
  /** Sent as `workspaceID`. */
  workspaceId?: string
}

/** What a prompt sends besides its text (`POST /session/:id/prompt_async` or `/message`). */
export interface PromptOptions extends CallOptions {
  /** Client-chosen id of the user message (`messageID`, `msg_…`): lets a retry find the same turn. */
  messageId?: string
  /** Message parts; default `[{type: "text", text}]`. */
  parts?: JsonObject[]
  /** `"provider/model"`. */
  model?: string
  /** Agent to run (`build`, `plan`, …). */
  agent?: string
  /** Store the message without running the model. */
  noReply?: boolean
  /** Enable or disable tools by name for this prompt. */
  tools?: Record<string, boolean>
  /** Structured output format. */
  format?: JsonObject
  /** Extra system prompt for this turn. */
  system?: string
  /** Model variant (reasoning effort). */
  variant?: string
  /**
   * v2 API only: how the prompt joins a session that is already running — `queue` (the default
   * here: it runs after the running turn, as every prompt does on the legacy API) or `steer`
   * (folded into the running turn; the server's own default). Ignored by the legacy API.
   */
  delivery?: 'steer' | 'queue'
}

/** Input of {@link WireClient.prompt}: the prompt's text and everything else it sends. */
export interface PromptInput extends PromptOptions {
  /** The user's prompt (sent as one text part unless `parts` is given). */
  text: string
}

/**
 * Deadlines of one event stream, in ms. Each ends the stream with a typed error; `Infinity` turns
 * one off. Defaults: `overallMs` 600 000, `firstEventMs` 120 000, `idleMs` off, `readMs` 30 000,
 * `connectMs` 10 000, `blockedMs` 3 600 000.
 */
export interface EventDeadlines {
  /** No terminal idle within this → {@link TimeoutError}. Suspended while `blocked()` on a live connection. */
  overallMs?: number
  /** No event of the session within this → {@link StaleSessionError} (heartbeats do not count; never suspended). */
  firstEventMs?: number
  /** The session went silent this long after its first event → {@link IdleStreamError} (off by default). */
  idleMs?: number
  /** A connection that delivers no bytes for this long is reopened. */
  readMs?: number
  /** Opening one connection (until the response headers) may take this long; then it is retried. */
  connectMs?: number
  /** The most a pending question or permission may suspend `overallMs` in total. */
  blockedMs?: number
}

/** Options of {@link WireClient.events}. */
export interface EventsOptions {
  /** Ends the stream with {@link AbortError} at any point (connecting, reading, waiting to reconnect). */
  signal?: AbortSignal
  /**
   * Runs once, after the first connection is established (subscribed, so no event can be missed):
   * send the prompt here. Its rejection ends the stream unchanged and it is never retried (a prompt
   * that may have been delivered is never sent twice). When it resolves, the overall and first-event
   * deadlines restart from then — unless it resolves to `false`.
   */
  onceConnected?: () => unknown
  /** True while a question or permission waits for a human: suspends the overall and idle deadlines (bounded by `blockedMs`). */
  blocked?: () => boolean
  /** Deadlines of this stream (see {@link EventDeadlines} for the defaults). */
  deadlines?: EventDeadlines
  /** Delay before reconnecting after a dropped connection (default 100 ms; capped by the next deadline). */
  reconnectDelayMs?: number
  /** Time source for this stream's deadlines and delays (default: the client's). */
  clock?: Clock
  /**
   * v2 API only: resume after this position of the session's durable log (the `seq` of the last
   * event seen). Missed events are replayed from the log before live ones, and the stream ends at
   * once when the session no longer runs. The legacy API has no replay and ignores it.
   */
  afterSeq?: number
}

/** A skipped event-stream frame, as handed to `onMalformedFrame`. */
export interface MalformedFrame {
  /** The frame's `data`, as received. */
  data: string
  /** The JSON parse error, or a {@link ServerError} when the JSON is not an event object. */
  error: unknown
  /** The session whose stream carried it. */
  sessionId: string
}

/** An answer to a permission request. */
export interface PermissionReply {
  /** The request's id (`per_…`). */
  requestId: string
  /** `once`, `always` or `reject`. */
  reply: 'once' | 'always' | 'reject'
  /** Told to the agent with a rejection. */
  message?: string
  /** The session that asked: the v2 API's routes name it (looked up when absent). Ignored by the legacy API. */
  sessionId?: string
}

/** An answer to a question request. */
export interface QuestionReply {
  /** The request's id (`que_…`). */
  requestId: string
  /** One array of chosen labels per question. */
  answers: unknown
  /** The session that asked (see {@link PermissionReply.sessionId}). */
  sessionId?: string
}

/** A rejected question request. */
export interface QuestionReject {
  /** The request's id (`que_…`). */
  requestId: string
  /** The session that asked (see {@link PermissionReply.sessionId}). */
  sessionId?: string
}

/**
 * What the orchestration layer needs from an OpenCode server: depend on this type instead of the
 * `Client` class, and a test can pass a small fake (or another transport can stand behind it).
 * `Client` implements it.
 *
 * @example
 * ```ts
 * const fake: WireClient = {
 *   createSession: async () => ({ id: 'ses_test' }),
 *   deleteSession: async () => true,
 *   abortSession: async () => true,
 *   getMessages: async () => [],
 *   prompt: async () => {},
 *   async *events(sessionId, { onceConnected } = {}) {
 *     yield { type: 'server.connected', properties: {} }
 *     await onceConnected?.()
 *     yield { type: 'session.status', properties: { sessionID: sessionId, status: { type: 'idle' } } }
 *   },
 *   replyPermission: async () => true,
 *   replyQuestion: async () => true,
 *   rejectQuestion: async () => true,
 * }
 * ```
 */
export interface WireClient {
  /** `POST /session`. */
  createSession(input?: CreateSessionInput, options?: CallOptions): Promise<OpencodeSession>
  /** `DELETE /session/:id`. */
  deleteSession(id: string, options?: CallOptions): Promise<unknown>
  /** `POST /session/:id/abort`. */
  abortSession(id: string, options?: CallOptions): Promise<unknown>
  /** `GET /session/:id/message`: every message of the session, oldest first. */
  getMessages(sessionId: string, options?: CallOptions): Promise<OpencodeMessage[]>
  /** Prompt and return at once (`POST /session/:id/prompt_async`, 204); follow the turn with {@link WireClient.events}. */
  prompt(sessionId: string, input: PromptInput): Promise<void>
  /**
   * The session's events until its terminal idle (plus `server.connected` per connection and
   * heartbeats), with reconnects and deadlines inside. See `Client.events`.
   */
  events(sessionId: string, options?: EventsOptions): AsyncIterable<OpencodeEvent>
  /** `POST /permission/:id/reply` with `once`, `always` or `reject`. */
  replyPermission(input: PermissionReply, options?: CallOptions): Promise<unknown>
  /** `POST /question/:id/reply`. */
  replyQuestion(input: QuestionReply, options?: CallOptions): Promise<unknown>
  /** `POST /question/:id/reject`. */
  rejectQuestion(input: QuestionReject, options?: CallOptions): Promise<unknown>
}
