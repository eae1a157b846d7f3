import { InvalidArgumentError, OpencodeError, type OpencodeErrorCode } from '../wire/errors.js'

/**
 * A unique constraint rejected a write (for example two workers storing different session ids
 * for one subject, or one session id for two subjects). Adapters map their driver's error onto it
 * (PostgreSQL 23505, MySQL 1062, SQLite `SQLITE_CONSTRAINT_UNIQUE`).
 */
export class UniqueViolationError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'unique_violation'
}

/** A storage backend failed to attach, list, read or remove an attachment. */
export class StorageError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'storage'
}

/**
 * The kit (or a `Session`) was configured wrongly: a missing permission policy, a port without a
 * method. Thrown at construction, before any work starts.
 */
export class ConfigurationError extends InvalidArgumentError {
  override readonly code: OpencodeErrorCode = 'configuration'
}

/** A port was asked for a subject or message row that does not exist. */
export class RowNotFoundError extends InvalidArgumentError {
  override readonly code: OpencodeErrorCode = 'not_found'
}

/**
 * The terminal write of a turn (`finalize`, `error`, `cancel`) kept failing after its retries: the
 * row is still `pending`. `turn.result` rejects with it (the last write error is its `cause`), so
 * the job fails and the queue retries it.
 */
export class PersistenceError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'persistence'
}

/** The agent finished without a reply (no text on the stream nor in the session's messages). */
export class EmptyReplyError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'empty_reply'
}

/**
 * An answer to a permission or question request that is no longer pending: someone else answered
 * it first (two clicks), it expired, or it was rejected. `status` says how it ended.
 */
export class RequestNotPendingError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'request_not_pending'
  /** How the request ended (`answered`, `rejected`, `expired`). */
  readonly requestStatus: string

  constructor(message: string, requestStatus: string) {
    super(message)
    this.requestStatus = requestStatus
  }
}
