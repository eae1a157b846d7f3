import { OpencodeError, type OpencodeErrorCode } from '../wire/errors.js'

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
