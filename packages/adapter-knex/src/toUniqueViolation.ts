import { UniqueViolationError } from '@opencode-kit/core'

/** Driver codes of a unique clash: PostgreSQL 23505, MySQL/MariaDB 1062, SQLite (better-sqlite3). */
function isUnique(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const e = error as { code?: unknown; errno?: unknown }
  return (
    e.code === '23505' ||
    e.code === 'ER_DUP_ENTRY' ||
    e.errno === 1062 ||
    e.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  )
}

/** Run `write`, turning a driver's unique violation into the core's {@link UniqueViolationError}. */
export async function toUniqueViolation<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (error) {
    if (isUnique(error)) {
      const message = error instanceof Error ? error.message : String(error)
      throw new UniqueViolationError(`unique constraint violated: ${message}`, { cause: error })
    }
    throw error
  }
}
