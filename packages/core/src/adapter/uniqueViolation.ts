import { UniqueViolationError } from '../host/errors.js'

/**
 * Whether `error` (or an error it wraps, through `cause`, `parent`, `original` or
 * `driverError`) is a unique-constraint clash as the database reports it: PostgreSQL SQLSTATE
 * `23505`, MySQL/MariaDB `ER_DUP_ENTRY` (1062), better-sqlite3 `SQLITE_CONSTRAINT_UNIQUE` /
 * `_PRIMARYKEY`, node-sqlite3 `SQLITE_CONSTRAINT` with "UNIQUE constraint failed".
 *
 * @example
 * ```ts
 * try { await insert() } catch (error) { if (isUniqueViolation(error)) return existing() ; throw error }
 * ```
 */
export function isUniqueViolation(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false
  const e = error as Record<string, unknown>
  const code = e.code
  if (code === '23505' || code === 'ER_DUP_ENTRY' || e.errno === 1062 || e.sqlState === '23505') return true
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true
  if (code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed/i.test(String(e.message))) return true
  return ['cause', 'parent', 'original', 'driverError'].some(
    (key) => e[key] !== error && isUniqueViolation(e[key], depth + 1),
  )
}

/**
 * Run `write`, turning a unique clash into the core's {@link UniqueViolationError} (the ORM's own
 * wrapper is recognised through `also`, e.g. Prisma's `P2002`); other errors pass through.
 *
 * @example
 * ```ts
 * await withUniqueViolation(() => db.update(subjects).set({ opencodeSessionId }).where(eq(subjects.id, id)))
 * ```
 */
export async function withUniqueViolation<T>(
  write: () => Promise<T>,
  also: (error: unknown) => boolean = () => false,
): Promise<T> {
  try {
    return await write()
  } catch (error) {
    if (isUniqueViolation(error) || also(error)) {
      const message = error instanceof Error ? error.message : String(error)
      throw new UniqueViolationError(`unique constraint violated: ${message}`, { cause: error })
    }
    throw error
  }
}
