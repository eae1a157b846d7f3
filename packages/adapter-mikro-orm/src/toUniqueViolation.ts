import { UniqueConstraintViolationException } from '@mikro-orm/core'
import { UniqueViolationError } from '@opencode-kit/core'

/** Run `work`, turning MikroORM's unique-constraint exception into the core's typed error. */
export async function toUniqueViolation<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new UniqueViolationError(error.message, { cause: error })
    }
    throw error
  }
}
