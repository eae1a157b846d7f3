import type { LockedSubject, RecordPort, RowId, SubjectRow } from '../host/ports.js'
import { InvalidArgumentError } from '../wire/errors.js'
import type { SubjectColumns } from './columns.js'
import { decodeSubjectRow } from './rowCodec.js'
import { serializeSqliteWrites } from './serializeSqliteWrites.js'
import { withUniqueViolation } from './uniqueViolation.js'

/** The statements an adapter supplies; {@link createRecordPort} builds the port on them. */
export interface RecordStatements<Tx> {
  /** The row with primary key `id` (values by ORM name), or undefined. */
  find(id: RowId): Promise<Record<string, unknown> | undefined>
  /**
   * Run `fn` inside a transaction holding an exclusive lock on the row, handing it the row as read
   * under the lock (`SELECT … FOR UPDATE`; on SQLite, after taking the database write lock) and the
   * transaction. Commit when `fn` resolves, roll back when it throws.
   */
  locked<T>(id: RowId, fn: (row: Record<string, unknown> | undefined, tx: Tx) => Promise<T>): Promise<T>
  /** `UPDATE … SET values WHERE id = ?`, inside `tx` when given. */
  update(id: RowId, values: Record<string, unknown>, tx?: Tx): Promise<unknown>
}

/** What {@link createRecordPort} needs. */
export interface RecordPortParts<Tx> {
  /** ORM names of each field. */
  names: SubjectColumns
  statements: RecordStatements<Tx>
  /** The object owning the connections when on SQLite (its lock callers queue in-process); else null. */
  sqliteOwner: object | null
  /** The ORM's own unique-violation wrapper (e.g. Prisma's `P2002`), besides the drivers' codes. */
  isUniqueViolation?: (error: unknown) => boolean
}

/**
 * A {@link RecordPort} from an ORM's three statements: rows decoded the same way everywhere, a
 * missing row is a typed error, unique clashes become `UniqueViolationError`, and on SQLite the
 * lock callers of one process run one after another.
 *
 * @example
 * ```ts
 * const records = createRecordPort({
 *   names,
 *   sqliteOwner: sqlite ? knex : null,
 *   statements: {
 *     find: (id) => knex(table).where(names.id, id).first(),
 *     locked: (id, fn) => knex.transaction(async (trx) => fn(await trx(table).where(names.id, id).forUpdate().first(), trx)),
 *     update: (id, values, trx) => (trx ?? knex)(table).where(names.id, id).update(values),
 *   },
 * })
 * ```
 */
export function createRecordPort<Tx>({
  names,
  statements,
  sqliteOwner,
  isUniqueViolation,
}: RecordPortParts<Tx>): RecordPort {
  const toRow = (id: RowId, raw: Record<string, unknown> | undefined): SubjectRow => {
    if (!raw) throw new InvalidArgumentError(`no subject row with id ${String(id)}`)
    return decodeSubjectRow((name) => raw[name], names)
  }
  const write = (id: RowId, sessionId: string | null, tx?: Tx) =>
    withUniqueViolation(
      () => statements.update(id, { [names.opencodeSessionId]: sessionId }, tx),
      isUniqueViolation,
    ).then(() => undefined)
  const locked = <T>(id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>) =>
    statements.locked(id, (raw, tx) =>
      fn(toRow(id, raw), { setSessionId: (sessionId) => write(id, sessionId, tx) }),
    )

  return {
    load: async (id) => toRow(id, await statements.find(id)),
    withLock: (id, fn) =>
      sqliteOwner ? serializeSqliteWrites(sqliteOwner, () => locked(id, fn)) : locked(id, fn),
    setSessionId: (id, sessionId) => write(id, sessionId),
  }
}
