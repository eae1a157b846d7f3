/**
 * `@opencode-kit/core`: the app API — a configured kit whose turns are `TurnEvent` streams with a
 * `TurnResult`, the `Session` and `startTurn`/`runTurn` building blocks, the OpenCode `Client`,
 * serving turn events over SSE, and the typed errors. Runtime-agnostic (Node ≥ 20, Bun, Deno,
 * edge). Other entry points: `/wire` (the wire layer below the kit: `Reply`, the SSE decoder, the
 * OpenCode event and message types), `/sandbox` (Node only: sandbox scans and artifacts),
 * `/adapter` (ports and the adapter authors' kit), `/browser`, `/testing`.
 */

// The kit and its turns.
export {
  createOpencodeKit,
  type OpencodeKit,
  type OpencodeKitOptions,
  type RecoverTurnsOptions,
  type RecoveryReport,
  type StartTurnInput,
} from './host/createOpencodeKit.js'
export { describeTool } from './host/describeTool.js'
export {
  ConfigurationError,
  EmptyReplyError,
  PersistenceError,
  RequestNotPendingError,
  RowNotFoundError,
} from './host/errors.js'
export { allowOnly, denyAll } from './host/Permissions.js'
export type { MessageRow, RowId, StoredRequest, SubjectRow } from './host/ports.js'
export type { RequestAnswer, RequestPolicy } from './host/RequestPolicy.js'
export { replyToRequest } from './host/replyToRequest.js'
export { type EnsuredSession, type PermissionPolicy, Session, type SessionOptions } from './host/Session.js'
export { defineTransform, type Transform, TransformError } from './host/Transform.js'
export { runTurn, startTurn, type TurnHandle, type TurnOptions, type TurnTuning } from './host/Turn.js'
export {
  type PermissionRequestView,
  type QuestionRequestView,
  type TodoView,
  type ToolView,
  TURN_EVENT_VERSION,
  type TurnEvent,
  type TurnEventType,
  type TurnStatus,
  type TurnUsage,
} from './host/TurnEvent.js'
export type { TurnResult } from './host/TurnResult.js'

// Serving a turn's events to a browser.
export { lastEventSeq, sendTurnEvents, turnEventResponse } from './serve/index.js'

// Hooks and time.
export { type Clock, systemClock } from './support/Clock.js'
export type { ErrorContext, ErrorHook } from './support/ErrorHook.js'
export type { TraceHook } from './support/TraceHook.js'
export { warnOnConsole } from './support/warnOnConsole.js'

// The OpenCode client (the rest of the wire layer is at `@opencode-kit/core/wire`).
export { Client, type ClientOptions } from './wire/Client.js'
export {
  AbortError,
  ConnectionError,
  InvalidArgumentError,
  OpencodeError,
  type OpencodeErrorCode,
  ServerError,
  SessionNotFoundError,
  TimeoutError,
  UpstreamError,
} from './wire/errors.js'
export type { OpencodeEvent, PermissionRule } from './wire/types.js'
export type { EventsOptions } from './wire/WireClient.js'
