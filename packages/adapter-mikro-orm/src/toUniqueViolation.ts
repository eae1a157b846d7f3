import { UniqueConstraintViolationException } from '@mikro-orm/core'
import { UniqueViolationError } from '@opencode-kit/core'

/** MikroORM's exception, or the driver's unique-clash code when another copy of MikroORM threw it. */
function isUnique(error: unknown): boolean {
  if (error instanceof UniqueConstraintViolationException) return true
  if (typeof error !== 'object' || error === null) return false
  const e = error as { name?: unknown; code?: unknown; errno?: unknown }
  return (
    e.name === 'UniqueConstraintViolationException' ||
    e.code === '23505' ||
    e.code === 'ER_DUP_ENTRY' ||
    e.errno === 1062 ||
    e.code === 'SQLITE_CONSTRAINT_UNIQUE'
  )
}

/** Run `work`, turning MikroORM's unique-constraint exception into the core's typed error. */
export async function toUniqueViolation<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (isUnique(error)) {
      const message = error instanceof Error ? error.message : String(error)
      throw new UniqueViolationError(`unique constraint violated: ${message}`, { cause: error })
    }
    throw error
  }
}
