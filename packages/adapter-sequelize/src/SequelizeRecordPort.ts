import { InvalidArgumentError, type RowId, type SubjectRow } from '@opencode-kit/core'
import {
  type LockedSubject,
  type RecordPort,
  serializeSqliteWrites,
  withUniqueViolation,
} from '@opencode-kit/core/adapter'
import {
  type Model,
  type ModelStatic,
  type Sequelize,
  Transaction,
  UniqueConstraintError,
  type WhereOptions,
} from 'sequelize'
import type { SubjectNames } from './options.js'

/**
 * {@link RecordPort} on a Sequelize model. `withLock` is a managed transaction that re-reads the row
 * with `lock: transaction.LOCK.UPDATE` (`SELECT … FOR UPDATE` on PostgreSQL and MySQL/MariaDB); on
 * SQLite, which ignores row locks, the transaction is `BEGIN IMMEDIATE` so writers serialize on the
 * database file. Build it with {@link sequelizeAdapter}.
 */
export class SequelizeRecordPort implements RecordPort {
  readonly #sequelize: Sequelize
  readonly #model: ModelStatic<Model>
  readonly #names: SubjectNames
  readonly #sqlite: boolean

  /** @param names attribute names on `model` for each port field. */
  constructor(sequelize: Sequelize, model: ModelStatic<Model>, names: SubjectNames) {
    this.#sequelize = sequelize
    this.#model = model
    this.#names = names
    this.#sqlite = sequelize.getDialect() === 'sqlite'
  }

  async load(id: RowId): Promise<SubjectRow> {
    const row = await this.#model.findOne({ where: this.#where(id) })
    if (!row) throw new InvalidArgumentError(`no subject row with id ${String(id)}`)
    return this.#toRow(row)
  }

  withLock<T>(id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>): Promise<T> {
    const run = () =>
      this.#sequelize.transaction(
        this.#sqlite ? { type: Transaction.TYPES.IMMEDIATE } : {},
        async (transaction: Transaction) => {
          const row = await this.#model.findOne({
            where: this.#where(id),
            lock: transaction.LOCK.UPDATE,
            transaction,
          })
          if (!row) throw new InvalidArgumentError(`no subject row with id ${String(id)}`)
          const locked: LockedSubject = {
            setSessionId: (sessionId) => this.#write(id, sessionId, transaction),
          }
          return fn(this.#toRow(row), locked)
        },
      )
    return this.#sqlite ? serializeSqliteWrites(this.#sequelize, run) : run()
  }

  setSessionId(id: RowId, sessionId: string | null): Promise<void> {
    return this.#write(id, sessionId, undefined)
  }

  async #write(id: RowId, sessionId: string | null, transaction: Transaction | undefined): Promise<void> {
    await withUniqueViolation(
      () =>
        this.#model.update(
          { [this.#names.opencodeSessionId]: sessionId },
          { where: this.#where(id), transaction },
        ),
      (error) => error instanceof UniqueConstraintError,
    )
  }

  #where(id: RowId): WhereOptions {
    return { [this.#names.id]: id }
  }

  #toRow(row: Model): SubjectRow {
    const title = row.get(this.#names.title) as string | null | undefined
    const sessionId = row.get(this.#names.opencodeSessionId) as string | null | undefined
    return {
      id: row.get(this.#names.id) as RowId,
      title: title ?? null,
      opencodeSessionId: sessionId ?? null,
    }
  }
}
