import { InvalidArgumentError, type MessageRow, type RowId } from '@opencode-kit/core'
import {
  decodeMessageRow,
  encodeMessageFields,
  type MessageFields,
  type MessagePort,
  type MessageStatus,
  type PromptClaim,
  requestsText,
  type SnapshotFields,
  type StoredRequest,
} from '@opencode-kit/core/adapter'
import { type Model, type ModelStatic, Op, type Sequelize, type WhereOptions } from 'sequelize'
import type { MessageNames } from './options.js'

/** Sequelize's hook runner; public at runtime but missing from the v6 type declarations. */
interface HookRunner {
  hasHook(name: string): boolean
  runHooks(name: string, ...args: unknown[]): Promise<void>
}

type Values = Record<string, unknown>

const JSON_KEYS = new Set(['JSON', 'JSONB'])

/** The Rails `update_columns`: no hooks, no `updatedAt` bump, no validation. */
const HOOK_FREE = { hooks: false, silent: true, validate: false } as const

/**
 * {@link MessagePort} on a Sequelize model.
 *
 * - `finalize` / `error` / `cancel` are one `Model.update(…, { where: { id, status: 'pending' } })`;
 *   the affected-row count is the answer. Sequelize's MySQL dialect connects with `-FOUND_ROWS`, so
 *   MySQL/MariaDB count *changed* rows; a transition always changes `status`, so the count is exact.
 * - Transitions and `update` run the model's bulk hooks and bump `updatedAt` like any
 *   `Model.update`; when this call moved the row, the model's per-row `afterUpdate` hooks also run
 *   once, with the row re-read (so a "broadcast when done" hook fires for the winner only).
 * - `snapshot` and `touchActivity` pass `hooks: false, silent: true, validate: false`: the Rails
 *   `update_columns`. No hook runs and `updatedAt` is NOT bumped by these mid-stream writes.
 *
 * Build it with {@link sequelizeAdapter}.
 */
export class SequelizeMessagePort implements MessagePort {
  readonly #model: ModelStatic<Model>
  readonly #names: MessageNames
  readonly #countsChangedRows: boolean
  readonly #sequelize: Sequelize

  /** @param names attribute names on `model` for each port field. */
  constructor(sequelize: Sequelize, model: ModelStatic<Model>, names: MessageNames) {
    this.#sequelize = sequelize
    this.#model = model
    this.#names = names
    const dialect = sequelize.getDialect()
    this.#countsChangedRows = dialect === 'mysql' || dialect === 'mariadb'
  }

  async load(id: RowId): Promise<MessageRow> {
    const row = await this.#model.findOne({ where: { [this.#names.id]: id } })
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
    const [count] = await this.#model.update(values, { where: { [this.#names.id]: id } })
    // MySQL counts changed rows, so 0 may still mean "written with identical values".
    if (count > 0 || this.#countsChangedRows) await this.#afterUpdate(id, values)
  }

  async snapshot(id: RowId, fields: SnapshotFields): Promise<boolean> {
    const values = this.#values(fields)
    const where = this.#pending(id)
    if (Object.keys(values).length === 0) return (await this.#model.count({ where })) > 0
    const [count] = await this.#model.update(values, { where, hooks: false, silent: true, validate: false })
    if (count > 0) return true
    // MySQL counts changed rows (Sequelize sets -FOUND_ROWS): rewriting identical text reports 0.
    return this.#countsChangedRows && (await this.#model.count({ where })) > 0
  }

  async touchActivity(id: RowId, at: Date): Promise<void> {
    if (this.#names.lastActivityAt === null) return
    await this.#model.update(
      { [this.#names.lastActivityAt]: at },
      { where: { [this.#names.id]: id }, hooks: false, silent: true, validate: false },
    )
  }

  async claimPrompt(id: RowId, claim: PromptClaim): Promise<boolean> {
    const n = this.#names
    const values: Values = {}
    if (n.opencodeSessionId !== null) values[n.opencodeSessionId] = claim.opencodeSessionId
    if (n.opencodeMessageId === null) return (await this.#model.count({ where: this.#pending(id) })) > 0
    values[n.opencodeMessageId] = claim.opencodeMessageId
    const where = { ...this.#pending(id), [n.opencodeMessageId]: null }
    const [count] = await this.#model.update(values, { where, ...HOOK_FREE })
    return count > 0
  }

  async listStalled(options: { before: Date; limit: number }): Promise<RowId[]> {
    const n = this.#names
    if (n.lastActivityAt === null) return []
    const rows = await this.#model.findAll({
      attributes: [n.id],
      where: { [n.status]: 'pending', [n.lastActivityAt]: { [Op.ne]: null, [Op.lt]: options.before } },
      order: [
        [n.lastActivityAt, 'ASC'],
        [n.id, 'ASC'],
      ],
      limit: Math.max(0, Math.trunc(options.limit)),
    })
    return rows.map((row) => row.get(n.id) as RowId)
  }

  async claimStalled(id: RowId, lease: { before: Date; at: Date }): Promise<boolean> {
    const n = this.#names
    if (n.lastActivityAt === null) return false
    const where = {
      [n.id]: id,
      [n.status]: 'pending',
      [n.lastActivityAt]: { [Op.ne]: null, [Op.lt]: lease.before },
    }
    const [count] = await this.#model.update({ [n.lastActivityAt]: lease.at }, { where, ...HOOK_FREE })
    return count > 0
  }

  async updateRequests(id: RowId, expected: StoredRequest[] | null, next: StoredRequest[]): Promise<boolean> {
    const n = this.#names
    if (n.requests === null) throw new InvalidArgumentError('updateRequests: no requests attribute is mapped')
    const was = requestsText(expected)
    const now = requestsText(next)
    const where = { [Op.and]: [{ [n.id]: id }, this.#holds(n.requests, was)] }
    if (was === now) return (await this.#model.count({ where })) > 0
    const [count] = await this.#model.update({ [n.requests]: now }, { where, ...HOOK_FREE })
    return count > 0
  }

  /** The attribute holds exactly `text` (MySQL compares text case-insensitively: compare bytes there). */
  #holds(attribute: string, text: string | null): WhereOptions {
    if (text === null) return { [attribute]: null }
    if (!this.#countsChangedRows) return { [attribute]: text }
    const field = this.#model.getAttributes()[attribute]?.field ?? attribute
    const s = this.#sequelize
    return s.where(s.cast(s.col(field), 'BINARY'), text)
  }

  async #transition(id: RowId, status: MessageStatus, values: Values): Promise<boolean> {
    const all = { ...values, [this.#names.status]: status }
    const [count] = await this.#model.update(all, { where: this.#pending(id) })
    if (count === 0) return false
    await this.#afterUpdate(id, all)
    return true
  }

  /** Run per-row `afterUpdate` hooks for a row this port just wrote (only when some exist). */
  async #afterUpdate(id: RowId, values: Values): Promise<void> {
    const hooks = this.#model as unknown as HookRunner
    if (!hooks.hasHook('afterUpdate')) return
    const row = await this.#model.findOne({ where: { [this.#names.id]: id } })
    if (row) await hooks.runHooks('afterUpdate', row, { fields: Object.keys(values) })
  }

  #pending(id: RowId): WhereOptions {
    return { [this.#names.id]: id, [this.#names.status]: 'pending' }
  }

  /** Port fields → model attributes; JSON lists are stringified for non-JSON (text) attributes. */
  #values(fields: MessageFields | SnapshotFields): Record<string, unknown> {
    return encodeMessageFields(
      fields,
      { ...this.#names, updatedAt: null },
      (attribute) => !this.#isJson(attribute),
    )
  }

  #isJson(attribute: string): boolean {
    const type = this.#model.getAttributes()[attribute]?.type as { key?: string } | string | undefined
    const key = typeof type === 'string' ? type.toUpperCase() : type?.key
    return key !== undefined && JSON_KEYS.has(key)
  }

  #toRow(row: Model): MessageRow {
    return decodeMessageRow((attribute) => row.get(attribute), { ...this.#names, updatedAt: null })
  }
}
