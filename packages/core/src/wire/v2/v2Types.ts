/**
 * Shapes of OpenCode's v2 server API (`/api/*`) as observed on opencode 1.18.33 (see the recorded
 * fixtures in `test/fixtures/opencode-1.18.33-v2`). Only the fields the v2 transport reads are
 * typed; everything else passes through.
 */
import type { JsonObject } from '../types.js'

/** Where a durable event sits in its session's log. */
export interface V2Durable {
  /** The session id. */
  aggregateID: string
  /** Position in the session's log: 1, 2, 3, … with no gaps. */
  seq: number
  /** Schema version of the event. */
  version: number
}

/**
 * One event of `GET /api/event` or `GET /api/session/:id/event` (or an entry of
 * `GET /api/session/:id/history`): `session.next.*` events of a session carry `durable`;
 * deltas, permission and question requests, `todo.updated` and `server.connected` do not.
 */
export interface V2Event {
  /** `evt_…`. */
  id?: string
  /** `session.next.step.started`, `session.next.text.delta`, `permission.v2.asked`, … */
  type: string
  /** Present on events of the session's durable log. */
  durable?: V2Durable
  /** `{directory}` of the location the event belongs to (on `/api/event`). */
  location?: JsonObject
  /** The payload (`sessionID`, `timestamp`, …). */
  data: JsonObject
}

/** Token usage of a v2 step or message (no `total`). */
export interface V2Tokens {
  input?: number
  output?: number
  reasoning?: number
  cache?: { read?: number; write?: number }
}

/** `{type, message}` errors of v2 steps, tools and messages (1.18.33 only knows `type: "unknown"`). */
export interface V2Error {
  type?: string
  message?: string
}

/** One entry of an assistant message's `content`. */
export interface V2Content extends JsonObject {
  type: string
  id?: string
  text?: string
  /** Tool entries: the tool's name. */
  name?: string
  state?: JsonObject & {
    status?: string
    input?: JsonObject
    content?: Array<JsonObject & { type?: string; text?: string }>
    structured?: JsonObject
    error?: V2Error
  }
}

/** One message of `GET /api/session/:id/message` (newest first unless `order=asc`). */
export interface V2Message extends JsonObject {
  id: string
  /** `user`, `assistant`, `synthetic`, `shell`, `compaction`, … */
  type: string
  time?: { created?: number; completed?: number }
  /** User messages: the prompt's text. */
  text?: string
  agent?: string
  model?: { id?: string; providerID?: string; variant?: string }
  content?: V2Content[]
  finish?: string
  error?: V2Error
  cost?: number
  tokens?: V2Tokens
}

/** A model's price per million tokens, as `GET /api/model` lists it (an optional context tier). */
export interface V2Price {
  input?: number
  output?: number
  cache?: { read?: number; write?: number }
  tier?: { type?: string; size?: number }
}

/** A session of `POST /api/session` / `GET /api/session/:id` (inside `{data}`). */
export interface V2Session extends JsonObject {
  id: string
  title?: string
  agent?: string
  model?: { id?: string; providerID?: string }
  cost?: number
  tokens?: V2Tokens
  time?: { created?: number; updated?: number }
  location?: { directory?: string; workspaceID?: string }
}

/** The receipt of `POST /api/session/:id/prompt`. */
export interface V2PromptReceipt extends JsonObject {
  /** The `seq` of the `prompt.admitted` event (the first admission's, for a repeated id). */
  admittedSeq: number
  /** The user message id (the caller's `id`, or one the server chose). */
  id: string
  sessionID: string
  delivery: 'steer' | 'queue'
  timeCreated?: number
  /** Present when the same id was admitted before and has already been promoted. */
  promotedSeq?: number
}
