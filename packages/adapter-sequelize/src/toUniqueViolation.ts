import { UniqueViolationError } from '@opencode-kit/core'
import { UniqueConstraintError } from 'sequelize'

/**
 * Run `write` and turn Sequelize's `UniqueConstraintError` (PostgreSQL 23505, MySQL 1062, SQLite
 * `SQLITE_CONSTRAINT`) into the core's {@link UniqueViolationError}; other errors pass through.
 */
export async function toUniqueViolation<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (error) {
    if (error instanceof UniqueConstraintError) {
      throw new UniqueViolationError(`unique constraint violated: ${error.message}`, { cause: error })
    }
    throw error
  }
}
