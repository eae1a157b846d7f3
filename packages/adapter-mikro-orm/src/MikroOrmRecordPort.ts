import { type EntityManager, LockMode, type MikroORM } from '@mikro-orm/core'
import {
  InvalidArgumentError,
  type LockedSubject,
  type RecordPort,
  type RowId,
  type SubjectRow,
} from '@opencode-kit/core'
import type { SubjectNames } from './options.js'
import { toUniqueViolation } from './toUniqueViolation.js'

type Raw = Record<string, unknown>

/** SQLite lock callers per ORM, run one after another (see `withLock`). */
const queues = new WeakMap<MikroORM, Promise<void>>()

/**
 * {@link RecordPort} on MikroORM. Every call works on a fresh `em.fork()` (no identity map shared
 * across calls, so a row is always re-read). `withLock` is `em.transactional` reading the row with
 * `LockMode.PESSIMISTIC_WRITE` (`SELECT … FOR UPDATE`); SQLite has no row locks, so there the
 * transaction's first statement is a no-op write that takes the database write lock, and callers
 * in one process queue. Build it with {@link mikroOrmAdapter}.
 */
export class MikroOrmRecordPort implements RecordPort {
  readonly #orm: MikroORM
  readonly #names: SubjectNames
  readonly #sqliteBusyMs: number | null

  constructor(orm: MikroORM, names: SubjectNames, sqliteBusyMs: number | null) {
    this.#orm = orm
    this.#names = names
    this.#sqliteBusyMs = sqliteBusyMs
  }

  async load(id: RowId): Promise<SubjectRow> {
    const row = (await this.#orm.em
      .fork()
      .findOne(this.#names.entity, { [this.#names.id]: id })) as Raw | null
    if (!row) throw new InvalidArgumentError(`no subject row with id ${String(id)}`)
    return this.#toRow(row)
  }

  withLock<T>(id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>): Promise<T> {
    if (this.#sqliteBusyMs === null) return this.#locked(id, fn)
    const run = (queues.get(this.#orm) ?? Promise.resolve()).then(
      () => this.#locked(id, fn),
      () => this.#locked(id, fn),
    )
    queues.set(
      this.#orm,
      run.then(
        () => undefined,
        () => undefined,
      ),
    )
    return run
  }

  #locked<T>(id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>): Promise<T> {
    const n = this.#names
    return this.#orm.em.fork().transactional(async (em) => {
      let row: Raw | null
      if (this.#sqliteBusyMs !== null) {
        await em
          .getConnection()
          .execute(
            `PRAGMA busy_timeout = ${Math.trunc(this.#sqliteBusyMs)}`,
            [],
            'run',
            em.getTransactionContext(),
          )
        // A write as first statement upgrades the deferred BEGIN to the database write lock.
        await em.nativeUpdate(n.entity, { [n.id]: id }, { [n.id]: id })
        row = (await em.findOne(n.entity, { [n.id]: id }, { refresh: true })) as Raw | null
      } else {
        row = (await em.findOne(
          n.entity,
          { [n.id]: id },
          { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
        )) as Raw | null
      }
      if (!row) throw new InvalidArgumentError(`no subject row with id ${String(id)}`)
      const locked: LockedSubject = { setSessionId: (sessionId) => this.#write(em, id, sessionId) }
      return fn(this.#toRow(row), locked)
    })
  }

  setSessionId(id: RowId, sessionId: string | null): Promise<void> {
    return this.#write(this.#orm.em.fork(), id, sessionId)
  }

  async #write(em: EntityManager, id: RowId, sessionId: string | null): Promise<void> {
    const n = this.#names
    await toUniqueViolation(() =>
      em.nativeUpdate(n.entity, { [n.id]: id }, { [n.opencodeSessionId]: sessionId }),
    )
  }

  #toRow(row: Raw): SubjectRow {
    const n = this.#names
    return {
      id: row[n.id] as RowId,
      title: (row[n.title] as string | null | undefined) ?? null,
      opencodeSessionId: (row[n.opencodeSessionId] as string | null | undefined) ?? null,
    }
  }
}
