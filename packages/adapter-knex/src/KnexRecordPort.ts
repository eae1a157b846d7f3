import {
  InvalidArgumentError,
  type LockedSubject,
  type RecordPort,
  type RowId,
  type SubjectRow,
} from '@opencode-kit/core'
import type { Knex } from 'knex'
import type { SubjectNames } from './options.js'
import { toUniqueViolation } from './toUniqueViolation.js'

type Raw = Record<string, unknown>

/** SQLite lock callers per knex instance, run one after another (see `withLock`). */
const queues = new WeakMap<Knex, Promise<void>>()

/**
 * {@link RecordPort} on knex. `withLock` is `knex.transaction` re-reading the row with
 * `SELECT … FOR UPDATE` (PostgreSQL, MySQL/MariaDB). SQLite has no row locks and knex opens its
 * transactions with a deferred `BEGIN`, so the transaction's first statement is a no-op write to the
 * row: it takes SQLite's database write lock at once, waiting up to the busy timeout for another
 * process's writer, and holds it to commit. Build it with {@link knexAdapter}.
 */
export class KnexRecordPort implements RecordPort {
  readonly #knex: Knex
  readonly #names: SubjectNames
  readonly #sqliteBusyMs: number | null

  /** @param sqliteBusyMs the busy timeout when `knex` is SQLite, else null. */
  constructor(knex: Knex, names: SubjectNames, sqliteBusyMs: number | null) {
    this.#knex = knex
    this.#names = names
    this.#sqliteBusyMs = sqliteBusyMs
  }

  async load(id: RowId): Promise<SubjectRow> {
    const row = (await this.#knex(this.#names.table).where(this.#names.id, id).first()) as Raw | undefined
    if (!row) throw new InvalidArgumentError(`no subject row with id ${String(id)}`)
    return this.#toRow(row)
  }

  withLock<T>(id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>): Promise<T> {
    if (this.#sqliteBusyMs === null) return this.#locked(id, fn)
    // better-sqlite3 waits for a busy lock synchronously: with a pool of several connections, a
    // second in-process caller would block the event loop the lock holder needs to commit. Queue.
    const run = (queues.get(this.#knex) ?? Promise.resolve()).then(
      () => this.#locked(id, fn),
      () => this.#locked(id, fn),
    )
    queues.set(
      this.#knex,
      run.then(
        () => undefined,
        () => undefined,
      ),
    )
    return run
  }

  #locked<T>(id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>): Promise<T> {
    const n = this.#names
    return this.#knex.transaction(async (trx) => {
      let row: Raw | undefined
      if (this.#sqliteBusyMs !== null) {
        await trx.raw(`PRAGMA busy_timeout = ${Math.trunc(this.#sqliteBusyMs)}`)
        // A write as first statement upgrades the deferred BEGIN to the database write lock.
        await trx(n.table)
          .where(n.id, id)
          .update({ [n.id]: trx.ref(n.id) })
        row = (await trx(n.table).where(n.id, id).first()) as Raw | undefined
      } else {
        row = (await trx(n.table).where(n.id, id).forUpdate().first()) as Raw | undefined
      }
      if (!row) throw new InvalidArgumentError(`no subject row with id ${String(id)}`)
      const locked: LockedSubject = { setSessionId: (sessionId) => this.#write(trx, id, sessionId) }
      return fn(this.#toRow(row), locked)
    })
  }

  setSessionId(id: RowId, sessionId: string | null): Promise<void> {
    return this.#write(this.#knex, id, sessionId)
  }

  async #write(db: Knex | Knex.Transaction, id: RowId, sessionId: string | null): Promise<void> {
    const n = this.#names
    await toUniqueViolation(() =>
      db(n.table)
        .where(n.id, id)
        .update({ [n.opencodeSessionId]: sessionId }),
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
