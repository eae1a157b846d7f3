import { type EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/core'
import { InvalidArgumentError, type RowId, type SubjectRow } from '@opencode-kit/core'
import {
  type LockedSubject,
  type RecordPort,
  serializeSqliteWrites,
  toRowId,
  withUniqueViolation,
} from '@opencode-kit/core/adapter'
import type { SubjectNames } from './options.js'
import { UNFILTERED } from './unfiltered.js'

type Raw = Record<string, unknown>

/**
 * {@link RecordPort} on MikroORM. Every call works on a fresh `em.fork()` (no identity map shared
 * across calls, so a row is always re-read). `withLock` is a transaction on the fork reading the row with
 * `LockMode.PESSIMISTIC_WRITE` (`SELECT … FOR UPDATE`); SQLite has no row locks, so there the
 * transaction's first statement is a no-op write that takes the database write lock, and callers
 * in one process queue. Build it with {@link mikroOrmAdapter}.
 *
 * @example
 * ```ts
 * const { records } = mikroOrmAdapter(orm)
 * const sessionId = await records.withLock(subjectId, async (row, locked) => {
 *   if (row.opencodeSessionId) return row.opencodeSessionId
 *   const created = await client.createSession({ title: row.title ?? undefined })
 *   await locked.setSessionId(created.id) // inside the lock's transaction
 *   return created.id
 * })
 * ```
 */
export class MikroOrmRecordPort implements RecordPort {
  readonly #em: EntityManager
  readonly #names: SubjectNames
  readonly #sqliteBusyMs: number | null

  /**
   * @param em forked for every call, never used itself.
   * @param sqliteBusyMs the busy timeout when `em` is on SQLite, else null.
   */
  constructor(em: EntityManager, names: SubjectNames, sqliteBusyMs: number | null) {
    this.#em = em
    this.#names = names
    this.#sqliteBusyMs = sqliteBusyMs
  }

  async load(id: RowId): Promise<SubjectRow> {
    const row = (await this.#em
      .fork()
      .findOne(this.#names.entity, { [this.#names.id]: id }, UNFILTERED)) as Raw | null
    if (!row) throw new InvalidArgumentError(`no subject row with id ${String(id)}`)
    return this.#toRow(row)
  }

  withLock<T>(id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>): Promise<T> {
    if (this.#sqliteBusyMs === null) return this.#locked(id, fn)
    // better-sqlite3 waits for a busy lock synchronously: a second in-process caller on another
    // pooled connection would block the event loop the lock holder needs to commit. Queue.
    return serializeSqliteWrites(this.#em.getDriver(), () => this.#locked(id, fn))
  }

  #locked<T>(id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>): Promise<T> {
    const n = this.#names
    const em = this.#em.fork()
    // The connection's transaction rather than `em.transactional`: that one flushes the fork at
    // commit, firing beforeFlush/onFlush/afterFlush in the app's subscribers for nothing.
    return em.getConnection().transactional(async (trx) => {
      em.setTransactionContext(trx)
      try {
        let row: Raw | null
        if (this.#sqliteBusyMs !== null) {
          const busy = `PRAGMA busy_timeout = ${Math.trunc(this.#sqliteBusyMs)}`
          await em.getConnection().execute(busy, [], 'run', trx)
          // A write as first statement upgrades the deferred BEGIN to the database write lock.
          await em.nativeUpdate(n.entity, { [n.id]: id }, { [n.id]: id }, UNFILTERED)
          row = (await em.findOne(n.entity, { [n.id]: id }, { ...UNFILTERED, refresh: true })) as Raw | null
        } else {
          row = (await em.findOne(
            n.entity,
            { [n.id]: id },
            { ...UNFILTERED, lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
          )) as Raw | null
        }
        if (!row) throw new InvalidArgumentError(`no subject row with id ${String(id)}`)
        const locked: LockedSubject = { setSessionId: (sessionId) => this.#write(em, id, sessionId) }
        return await fn(this.#toRow(row), locked)
      } finally {
        em.resetTransactionContext()
      }
    })
  }

  setSessionId(id: RowId, sessionId: string | null): Promise<void> {
    return this.#write(this.#em.fork(), id, sessionId)
  }

  async #write(em: EntityManager, id: RowId, sessionId: string | null): Promise<void> {
    const n = this.#names
    await withUniqueViolation(
      () => em.nativeUpdate(n.entity, { [n.id]: id }, { [n.opencodeSessionId]: sessionId }, UNFILTERED),
      (error) =>
        error instanceof UniqueConstraintViolationException ||
        (error as { name?: unknown })?.name === 'UniqueConstraintViolationException',
    )
  }

  #toRow(row: Raw): SubjectRow {
    const n = this.#names
    return {
      id: toRowId(row[n.id]),
      title: (row[n.title] as string | null | undefined) ?? null,
      opencodeSessionId: (row[n.opencodeSessionId] as string | null | undefined) ?? null,
    }
  }
}
