import { OpencodeError, type OpencodeErrorCode, type OpencodeErrorOptions } from '../wire/errors.js'

/** Why a sandbox file was refused. */
export type UnsafeFileReason =
  | 'symlink'
  | 'hard_link'
  | 'not_regular'
  | 'escapes_root'
  | 'changed'
  | 'too_large'
  | 'platform'
  | 'os_error'

/**
 * A sandbox file failed a safety check (a symlink, a hard link, a FIFO/socket/device, a path
 * outside the root, a file swapped or grown while being read, or a platform that cannot open it
 * safely). Nothing outside the sandbox was read.
 *
 * @example
 * ```ts
 * try {
 *   await file.content()
 * } catch (error) {
 *   if (error instanceof UnsafeFileError) logger.warn({ reason: error.reason }, error.message)
 * }
 * ```
 */
export class UnsafeFileError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'unsafe_file'
  /** Which check failed. */
  readonly reason: UnsafeFileReason

  constructor(message: string, reason: UnsafeFileReason, options: OpencodeErrorOptions = {}) {
    super(message, options)
    this.reason = reason
  }
}
