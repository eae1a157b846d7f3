/**
 * Shapes of the OpenCode server's API as observed on opencode 1.18 (see the recorded fixtures in
 * `test/fixtures`). Only the fields opencode-kit reads are typed; everything else passes through.
 */

/** A JSON object as it came off the wire. */
export type JsonObject = Record<string, unknown>

/** Token usage of one model step or message. */
export interface Tokens {
  total?: number
  input?: number
  output?: number
  reasoning?: number
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

/** A part of a message as the server sends it (`text`, `reasoning`, `tool`, `step-start`, `step-finish`, `patch`, …). */
export interface WirePart extends JsonObject {
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

/** One message of `GET /session/:id/message`. */
export interface OpencodeMessage {
  info: MessageInfo
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
  permission: string
  pattern: string
  action: 'allow' | 'deny' | 'ask'
}

/** An event of `GET /event`. Unknown types are allowed and ignored by consumers. */
export interface OpencodeEvent {
  id?: string
  type: string
  properties: JsonObject & {
    sessionID?: string
    info?: MessageInfo | OpencodeSession
    part?: WirePart
    status?: { type?: string; attempt?: number; message?: string; next?: number }
    error?: MessageErrorInfo
    messageID?: string
    partID?: string
    field?: string
    delta?: string
  }
}

/** A part as opencode-kit stores it: text/reasoning accumulated, or a canonical tool part. */
export type ReplyPart = TextPart | ToolPartRecord | (JsonObject & { type: string })

/** Accumulated text or reasoning. */
export interface TextPart extends JsonObject {
  type: 'text' | 'reasoning'
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
