/**
 * Shapes of the OpenCode server's API as observed on opencode 1.18 (see the recorded fixtures in
 * `test/fixtures`). Only the fields opencode-kit reads are typed; everything else passes through.
 */

/** A JSON object as it came off the wire. */
export type JsonObject = Record<string, unknown>

/** Token usage of one model step or message. */
export interface Tokens {
  /** All tokens of the step. */
  total?: number
  /** Prompt tokens. */
  input?: number
  /** Completion tokens. */
  output?: number
  /** Reasoning tokens. */
  reasoning?: number
  /** Prompt-cache reads and writes. */
  cache?: { read?: number; write?: number }
}

/** `info.error` of a failed assistant message (`APIError`, `MessageAbortedError`, …). */
export interface MessageErrorInfo {
  name?: string
  data?: {
    message?: string
    statusCode?: number
    isRetryable?: boolean
    metadata?: { url?: string }
  } & JsonObject
}

/** `info` of a message. */
export interface MessageInfo extends JsonObject {
  id?: string
  sessionID?: string
  role?: 'user' | 'assistant' | string
  parentID?: string
  time?: { created?: number; completed?: number }
  cost?: number
  tokens?: Tokens
  finish?: string
  error?: MessageErrorInfo
}

/** State of a tool part. */
export interface ToolState extends JsonObject {
  status?: 'pending' | 'running' | 'completed' | 'error' | string
  input?: JsonObject
  output?: string
  title?: string
  metadata?: JsonObject
  error?: string
}

/** Fields any part may carry; code that has not narrowed a {@link WirePart} by `type` reads these. */
export interface WirePartBase extends JsonObject {
  id?: string
  messageID?: string
  sessionID?: string
  type: string
  text?: string
  tool?: string
  callID?: string
  state?: ToolState
  cost?: number
  tokens?: Tokens
}

/** A text part: announced with `text: ""`, grown by `message.part.delta`, finalized with the full text. */
export interface TextWirePart extends WirePartBase {
  type: 'text'
  text: string
  /** True for parts the server wrote itself (file attachments' descriptions). */
  synthetic?: boolean
  time?: { start?: number; end?: number }
}

/** A reasoning part (its deltas still say `field: "text"`). */
export interface ReasoningWirePart extends WirePartBase {
  type: 'reasoning'
  text: string
  time?: { start?: number; end?: number }
}

/** A tool call; `state.status` moves `pending → running → completed | error`. */
export interface ToolWirePart extends WirePartBase {
  type: 'tool'
  tool: string
  callID: string
  state: ToolState
}

/** Start of one model step. */
export interface StepStartWirePart extends WirePartBase {
  type: 'step-start'
}

/** End of one model step, with its cost and usage (a tool loop has one per step). */
export interface StepFinishWirePart extends WirePartBase {
  type: 'step-finish'
  reason?: 'stop' | 'tool-calls' | string
  cost: number
  tokens: Tokens
}

/** Files changed by a step (follows a `write` tool). */
export interface PatchWirePart extends WirePartBase {
  type: 'patch'
  hash?: string
  files?: string[]
}

/** A part type opencode-kit does not model (file, agent, snapshot, …); passed through. */
export interface OtherWirePart extends WirePartBase {
  type: string
}

/** A part of a message as the server sends it, discriminated by `type`. Unknown types are allowed. */
export type WirePart =
  | TextWirePart
  | ReasoningWirePart
  | ToolWirePart
  | StepStartWirePart
  | StepFinishWirePart
  | PatchWirePart
  | OtherWirePart

/** `info` of a user message. */
export interface UserMessageInfo extends MessageInfo {
  role: 'user'
}

/** `info` of an assistant message: one per model step of a tool loop. */
export interface AssistantMessageInfo extends MessageInfo {
  role: 'assistant'
}

/** One message of `GET /session/:id/message`. */
export interface OpencodeMessage {
  /** Role, time, cost, tokens, finish and error of the message. */
  info: MessageInfo
  /** Its parts, in order. */
  parts: WirePart[]
}

/** A session object. */
export interface OpencodeSession extends JsonObject {
  id: string
  title?: string
  directory?: string
  parentID?: string
  time?: { created?: number; updated?: number }
}

/** One permission rule of a session (`last match wins`). */
export interface PermissionRule {
  /** Tool permission (`bash`, `edit`, `read`, …) or `*`. */
  permission: string
  /** Pattern the rule applies to, or `*`. */
  pattern: string
  /** `ask` pauses the tool with `permission.asked`. */
  action: 'allow' | 'deny' | 'ask'
}

/** `properties.status` of `session.status`. */
export interface SessionStatus extends JsonObject {
  type?: 'idle' | 'busy' | 'retry' | string
  /** Retry number (`retry` only). */
  attempt?: number
  /** Why it retries (`retry` only). */
  message?: string
  /** When the next attempt starts, epoch ms (`retry` only). */
  next?: number
}

/** The tool call a question or permission belongs to. */
export interface ToolCallRef extends JsonObject {
  messageID?: string
  callID?: string
}

/** Fields any event's `properties` may carry; code that has not narrowed an event reads these. */
export interface EventProperties extends JsonObject {
  sessionID?: string
  info?: MessageInfo | OpencodeSession
  part?: WirePart
  /** An object on current servers; a bare string (`"idle"`) on some older ones. */
  status?: SessionStatus | string
  error?: MessageErrorInfo
  messageID?: string
  partID?: string
  field?: string
  delta?: string
}

/** One event type and its properties. */
export interface EventOf<T extends string, P extends JsonObject = JsonObject> {
  /** `evt_…` on current servers. */
  id?: string
  /**
   * Position in the session's durable log (v2 API only): events derived from one durable event
   * share its `seq`. Remember the last one to resume a stream after it (`events({ afterSeq })`).
   */
  seq?: number
  type: T
  properties: EventProperties & P
}

/** First frame of every connection (no session id). */
export type ServerConnectedEvent = EventOf<'server.connected'>
/** Periodic keep-alive (no session id). */
export type ServerHeartbeatEvent = EventOf<'server.heartbeat'>
/** `busy`, `retry` or `idle` (idle is terminal for a turn). */
export type SessionStatusEvent = EventOf<'session.status', { sessionID: string; status: SessionStatus }>
/** Legacy terminal event, still sent after `session.status` idle. */
export type SessionIdleEvent = EventOf<'session.idle', { sessionID: string }>
/** The turn failed upstream (`APIError`, `MessageAbortedError`, …). */
export type SessionErrorEvent = EventOf<'session.error', { sessionID?: string; error?: MessageErrorInfo }>
/** A session was created. */
export type SessionCreatedEvent = EventOf<'session.created', { sessionID?: string; info: OpencodeSession }>
/** A session changed (title, time, …). */
export type SessionUpdatedEvent = EventOf<'session.updated', { sessionID?: string; info: OpencodeSession }>
/** A message was created or changed (user or assistant; arrives before its parts). */
export type MessageUpdatedEvent = EventOf<'message.updated', { sessionID?: string; info: MessageInfo }>
/** A part was created or changed. */
export type MessagePartUpdatedEvent = EventOf<'message.part.updated', { sessionID?: string; part: WirePart }>
/** Text appended to a text or reasoning part (`field` is `"text"` for both). */
export type MessagePartDeltaEvent = EventOf<
  'message.part.delta',
  { sessionID: string; messageID: string; partID: string; field: string; delta: string }
>
/** The session's todo list, after a `todowrite`. */
export type TodoUpdatedEvent = EventOf<'todo.updated', { sessionID: string; todos: JsonObject[] }>
/** The agent asks the user (the `question` tool). */
export type QuestionAskedEvent = EventOf<
  'question.asked',
  { id: string; sessionID: string; questions: unknown[]; tool?: ToolCallRef }
>
/** A question was answered. */
export type QuestionRepliedEvent = EventOf<
  'question.replied',
  { sessionID: string; requestID: string; answers: unknown }
>
/** A question was rejected. */
export type QuestionRejectedEvent = EventOf<'question.rejected', { sessionID: string; requestID: string }>
/** A tool waits for permission (`action: "ask"` rules). */
export type PermissionAskedEvent = EventOf<
  'permission.asked',
  {
    id: string
    sessionID: string
    permission: string
    patterns?: string[]
    always?: string[]
    metadata?: JsonObject
    tool?: ToolCallRef
  }
>
/** A permission request was answered. */
export type PermissionRepliedEvent = EventOf<
  'permission.replied',
  { sessionID: string; requestID: string; reply: 'once' | 'always' | 'reject' | string }
>

/** Every event type opencode-kit models, discriminated by `type`. */
export type KnownOpencodeEvent =
  | ServerConnectedEvent
  | ServerHeartbeatEvent
  | SessionStatusEvent
  | SessionIdleEvent
  | SessionErrorEvent
  | SessionCreatedEvent
  | SessionUpdatedEvent
  | MessageUpdatedEvent
  | MessagePartUpdatedEvent
  | MessagePartDeltaEvent
  | TodoUpdatedEvent
  | QuestionAskedEvent
  | QuestionRepliedEvent
  | QuestionRejectedEvent
  | PermissionAskedEvent
  | PermissionRepliedEvent

/** The `type` of a {@link KnownOpencodeEvent}. */
export type OpencodeEventType = KnownOpencodeEvent['type']

/** An event type opencode-kit does not model (`session.diff`, `file.edited`, …); consumers ignore it. */
export type UnknownOpencodeEvent = EventOf<string>

/**
 * An event of `GET /event`: a known event or an unknown one. Narrow it with {@link isEventOfType}
 * (or a `switch` on `type` plus the loose {@link EventProperties}).
 */
export type OpencodeEvent = KnownOpencodeEvent | UnknownOpencodeEvent

/** The known event of a type. */
export type EventOfType<T extends OpencodeEventType> = Extract<KnownOpencodeEvent, { type: T }>

/**
 * Narrow an event to a known type. Checks the `type` only: the server's shapes are trusted, and
 * every property is still read defensively by opencode-kit itself.
 *
 * @example
 * ```ts
 * if (isEventOfType(event, 'message.part.delta')) process.stdout.write(event.properties.delta)
 * ```
 */
export function isEventOfType<T extends OpencodeEventType>(
  event: OpencodeEvent,
  type: T,
): event is EventOfType<T> {
  return event.type === type
}

/** A part as opencode-kit stores it: text/reasoning accumulated, or a canonical tool part. */
export type ReplyPart = TextPart | ToolPartRecord | (JsonObject & { type: string })

/** Accumulated text or reasoning. */
export interface TextPart extends JsonObject {
  /** Which text it is. */
  type: 'text' | 'reasoning'
  /** The accumulated text. */
  content: string
}

/** The canonical tool part (wire field names). */
export interface ToolPartRecord extends JsonObject {
  type: 'tool'
  tool: string
  status?: string
  title?: string
  input?: JsonObject
  metadata?: JsonObject
  output?: string
  error?: string
  callID?: string
  messageID?: string
}

/** True for a non-null, non-array object. */
export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** ActiveSupport's `blank?` for the values that reach us: null, undefined, whitespace-only strings. */
export const isBlank = (value: unknown): boolean =>
  value === null || value === undefined || (typeof value === 'string' && value.trim() === '')

/** ActiveSupport's `truncate(200)`: at most `max` characters, ending in "..." when cut. */
export const truncate = (text: string, max = 200): string =>
  text.length <= max ? text : `${text.slice(0, max - 3)}...`
