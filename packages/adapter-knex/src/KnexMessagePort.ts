import {
  InvalidArgumentError,
  type MessageFields,
  type MessagePort,
  type MessageRow,
  MessageRowCodec,
  type MessageStatus,
  type PromptClaim,
  type RowId,
  type SnapshotFields,
  type StoredRequest,
} from '@opencode-kit/core'
import type { Knex } from 'knex'
import type { MessageNames } from './options.js'

type Values = Record<string, unknown>
type Raw = Record<string, unknown>

/**
 * {@link MessagePort} on knex. `finalize` / `error` / `cancel` are one
 * `UPDATE … WHERE id = ? AND status = 'pending'`; the affected-row count is the answer (a
 * transition always changes `status`, so MySQL's changed-vs-matched rows make no difference).
 * `snapshot` writes only the given columns, only while pending; `touchActivity` writes only the
 * activity column. JSON columns are written as JSON text (portable to `json` and `text` columns)
 * and parsed on read when the driver returns text. Build it with {@link knexAdapter}.
 */
export class KnexMessagePort implements MessagePort {
  readonly #knex: Knex
  readonly #names: MessageNames
  readonly #mysql: boolean

  /** @param names column names for each port field. */
  constructor(knex: Knex, names: MessageNames) {
    this.#knex = knex
    this.#names = names
    this.#mysql = /mysql/.test(String(knex.client.config.client ?? knex.client.dialect ?? ''))
  }

  async load(id: RowId): Promise<MessageRow> {
    const row = (await this.#table().where(this.#names.id, id).first()) as Raw | undefined
    if (!row) throw new InvalidArgumentError(`no message row with id ${String(id)}`)
    return this.#toRow(row)
  }

  finalize(id: RowId, fields: MessageFields): Promise<boolean> {
    return this.#transition(id, 'completed', this.#values(fields))
  }

  error(id: RowId, content: string): Promise<boolean> {
    return this.#transition(id, 'error', { [this.#names.content]: content })
  }

  cancel(id: RowId): Promise<boolean> {
    return this.#transition(id, 'cancelled', {})
  }

  async update(id: RowId, fields: MessageFields): Promise<void> {
    const values = this.#values(fields)
    if (Object.keys(values).length === 0) return
    await this.#table()
      .where(this.#names.id, id)
      .update({ ...values, ...this.#stamp() })
  }

  async snapshot(id: RowId, fields: SnapshotFields): Promise<boolean> {
    const values = this.#values(fields)
    if (Object.keys(values).length > 0) {
      const count = await this.#pending(id).update(values)
      if (count > 0) return true
    }
    // Nothing to write, or a driver counting changed (not matched) rows: ask whether it is pending.
    return (await this.#pending(id).first(this.#names.id)) !== undefined
  }

  async touchActivity(id: RowId, at: Date): Promise<void> {
    if (this.#names.lastActivityAt === null) return
    await this.#table()
      .where(this.#names.id, id)
      .update({ [this.#names.lastActivityAt]: at })
  }

  async claimPrompt(id: RowId, claim: PromptClaim): Promise<boolean> {
    const n = this.#names
    const values: Values = {}
    if (n.opencodeSessionId !== null) values[n.opencodeSessionId] = claim.opencodeSessionId
    if (n.opencodeMessageId === null) return (await this.#pending(id).first(n.id)) !== undefined
    values[n.opencodeMessageId] = claim.opencodeMessageId
    return (await this.#pending(id).whereNull(n.opencodeMessageId).update(values)) > 0
  }

  async listStalled(options: { before: Date; limit: number }): Promise<RowId[]> {
    const n = this.#names
    if (n.lastActivityAt === null) return []
    const rows = (await this.#table()
      .select(n.id)
      .where(n.status, 'pending')
      .whereNotNull(n.lastActivityAt)
      .andWhere(n.lastActivityAt, '<', options.before)
      .orderBy([n.lastActivityAt, n.id])
      .limit(Math.max(0, Math.trunc(options.limit)))) as Raw[]
    return rows.map((row) => row[n.id] as RowId)
  }

  async updateRequests(id: RowId, expected: StoredRequest[] | null, next: StoredRequest[]): Promise<boolean> {
    const n = this.#names
    if (n.requests === null) throw new InvalidArgumentError('updateRequests: no requests column is mapped')
    const column = n.requests
    const was = MessageRowCodec.requestsText(expected)
    const now = MessageRowCodec.requestsText(next)
    const holding = (query: Knex.QueryBuilder) =>
      was === null
        ? query.whereNull(column)
        : // MySQL compares text case-insensitively: compare the bytes.
          this.#mysql
          ? query.whereRaw('?? = binary ?', [column, was])
          : query.where(column, was)
    if (was === now) return (await holding(this.#table().where(n.id, id)).first(n.id)) !== undefined
    return (await holding(this.#table().where(n.id, id)).update({ [column]: now })) > 0
  }

  async #transition(id: RowId, status: MessageStatus, values: Values): Promise<boolean> {
    const count = await this.#pending(id).update({
      ...values,
      ...this.#stamp(),
      [this.#names.status]: status,
    })
    return count > 0
  }

  #table(): Knex.QueryBuilder {
    return this.#knex(this.#names.table)
  }

  #pending(id: RowId): Knex.QueryBuilder {
    return this.#table().where(this.#names.id, id).andWhere(this.#names.status, 'pending')
  }

  #stamp(): Values {
    return this.#names.updatedAt === null ? {} : { [this.#names.updatedAt]: new Date() }
  }

  /** Port fields → columns; absent (null-mapped) columns are skipped, JSON lists become JSON text. */
  #values(fields: MessageFields): Values {
    // knex writes JSON as text everywhere (PostgreSQL json/jsonb columns accept it).
    return MessageRowCodec.encode(fields, this.#names, { jsonAsText: () => true })
  }

  #toRow(row: Raw): MessageRow {
    return MessageRowCodec.decode((column) => row[column], this.#names)
  }
}
