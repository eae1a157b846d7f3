/**
 * The error hierarchy of opencode-kit. Every error the library throws is an {@link OpencodeError}
 * with a stable machine-readable `code`, and the HTTP `status` and parsed `body` where there was one.
 *
 * @example
 * ```ts
 * try {
 *   await client.getMessages(sessionId)
 * } catch (error) {
 *   if (error instanceof SessionNotFoundError) await session.recreate()
 *   else throw error
 * }
 * ```
 */

/** Stable error codes; switch on these instead of on messages. */
export type OpencodeErrorCode =
  | 'opencode_error'
  | 'connection'
  | 'timeout'
  | 'session_not_found'
  | 'stale_session'
  | 'idle_stream'
  | 'server'
  | 'bad_request'
  | 'aborted'
  | 'frame_too_large'
  | 'unique_violation'
  | 'unsafe_file'
  | 'transform'
  | 'storage'
  | 'invalid_argument'
  | 'upstream'
  | 'relay'
  | 'configuration'
  | 'not_found'
  | 'persistence'
  | 'empty_reply'
  | 'unsupported_server'
  | 'unsupported_feature'
  | 'request_not_pending'

/** Options shared by every {@link OpencodeError} constructor. */
export interface OpencodeErrorOptions {
  /** HTTP status of the response that caused the error, if any. */
  status?: number
  /** Parsed (or raw text) response body, if any. */
  body?: unknown
  /** The underlying error. */
  cause?: unknown
}

/** Base class of every error thrown by opencode-kit. */
export class OpencodeError extends Error {
  /** Machine-readable error code. */
  readonly code: OpencodeErrorCode = 'opencode_error'
  /** HTTP status, when the error came from a response. */
  readonly status: number | undefined
  /** Parsed response body (JSON) or its text, when the error came from a response. */
  readonly body: unknown

  constructor(message: string, options: OpencodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.status = options.status
    this.body = options.body
  }
}

/** The server could not be reached (connection refused, DNS failure, reset before a response). */
export class ConnectionError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'connection'
}

/** A request or stream deadline passed. */
export class TimeoutError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'timeout'
}

/** HTTP 404: the session (or another resource) does not exist upstream. */
export class SessionNotFoundError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'session_not_found'
}

/** No event for the session arrived before the first-event deadline: the stored session is stale. */
export class StaleSessionError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'stale_session'
}

/** The session produced events, then went silent past the idle window while heartbeats continued. */
export class IdleStreamError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'idle_stream'
}

/** HTTP 5xx, a non-JSON success body, or a broken event stream. */
export class ServerError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'server'
}

/** An SSE frame grew past the configured cap (a {@link ServerError}). */
export class FrameTooLargeError extends ServerError {
  override readonly code: OpencodeErrorCode = 'frame_too_large'
}

/** HTTP 4xx other than 404. */
export class BadRequestError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'bad_request'
}

/** The caller's `AbortSignal` fired. */
export class AbortError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'aborted'
}

/** An argument failed validation (bad URL, unsafe name, missing option). */
export class InvalidArgumentError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'invalid_argument'
}

/** An upstream error as a `session.error` event reports it (`APIError`, `MessageAbortedError`, …). */
export interface UpstreamErrorInfo {
  /** `APIError`, `MessageAbortedError`, `ProviderAuthError`, … */
  name?: string
  /** What the model provider (or OpenCode) said. */
  message?: string
  /** The provider's HTTP status, when it answered. */
  statusCode?: number
  /** Whether the provider called it retryable. */
  retryable?: boolean
}

/**
 * The session reported an error (`session.error`): the model provider failed, or the turn was
 * aborted upstream. `result` holds what was streamed before it.
 *
 * @example
 * ```ts
 * try {
 *   await client.stream(sessionId, 'Hi')
 * } catch (error) {
 *   if (error instanceof UpstreamError && error.upstream.statusCode === 429) retryLater()
 * }
 * ```
 */
export class UpstreamError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'upstream'
  /** The upstream error's name, message and status. */
  readonly upstream: UpstreamErrorInfo
  /** What was streamed before the error (the stream's result). */
  readonly result: unknown

  constructor(
    message: string,
    options: OpencodeErrorOptions & UpstreamErrorInfo & { result?: unknown } = {},
  ) {
    super(message, options)
    const { name, message: upstreamMessage, statusCode, retryable } = options
    this.upstream = { name, message: upstreamMessage, statusCode, retryable }
    this.result = options.result
  }
}

/**
 * The server speaks neither of OpenCode's APIs (the legacy routes nor `/api/*`), or the API forced
 * with `new Client({ api })` is not there. `found` says what the probe saw.
 */
export class UnsupportedServerError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'unsupported_server'
  /** What the probe found (status codes and content types of the routes it tried). */
  readonly found: string

  constructor(message: string, options: OpencodeErrorOptions & { found: string }) {
    super(message, options)
    this.found = options.found
  }
}

/** The server's API has no equivalent for what was asked (per-session permission rules on the v2 API). */
export class UnsupportedFeatureError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'unsupported_feature'
}
