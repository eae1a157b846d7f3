import { type EntityManager, raw } from '@mikro-orm/core'
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
  toRowId,
} from '@opencode-kit/core/adapter'
import type { MessageNames } from './options.js'
import { UNFILTERED } from './unfiltered.js'

type Raw = Record<string, unknown>

/**
 * {@link MessagePort} on MikroORM, every call on a fresh `em.fork()` and every write a
 * `nativeUpdate`: terminal transitions are one `UPDATE … WHERE id = ? AND status = 'pending'` whose
 * affected count is the answer; `snapshot` and `touchActivity` write only their columns and run no
 * entity lifecycle hooks (nothing is loaded into an identity map, no `onUpdate` runs). Build it
 * with {@link mikroOrmAdapter}.
 *
 * @example
 * ```ts
 * const { messages } = mikroOrmAdapter(orm)
 * // the stop button: false when the turn already finished (or was cancelled before)
 * const cancelled = await messages.cancel(messageId)
 * ```
 */
export class MikroOrmMessagePort implements MessagePort {
  readonly #em: EntityManager
  readonly #names: MessageNames
  readonly #mysql: boolean

  /** @param em forked for every call, never used itself. */
  constructor(em: EntityManager, names: MessageNames) {
    this.#em = em
    this.#names = names
    this.#mysql = /mysql|maria/i.test(em.getPlatform().constructor.name)
  }

  async load(id: RowId): Promise<MessageRow> {
    const row = (await this.#em
      .fork()
      .findOne(this.#names.entity, { [this.#names.id]: id }, UNFILTERED)) as Raw | null
    if (!row) throw new InvalidArgumentError(`no message row with id ${String(id)}`)
    return this.#toRow(row)
  }

  finalize(id: RowId, fields: MessageFields): Promise<boolean> {
    return this.#transition(id, 'completed', fields)
  }

  error(id: RowId, content: string): Promise<boolean> {
    return this.#transition(id, 'error', { content })
  }

  cancel(id: RowId): Promise<boolean> {
    return this.#transition(id, 'cancelled', {})
  }

  async update(id: RowId, fields: MessageFields): Promise<void> {
    const values = this.#values(fields)
    if (this.#names.updatedAt) values[this.#names.updatedAt] = new Date()
    if (Object.keys(values).length === 0) return
    await this.#em.fork().nativeUpdate(this.#names.entity, { [this.#names.id]: id }, values, UNFILTERED)
  }

  async snapshot(id: RowId, fields: SnapshotFields): Promise<boolean> {
    const n = this.#names
    const values = this.#values(fields)
    const pending = { [n.id]: id, [n.status]: 'pending' }
    const em = this.#em.fork()
    if (Object.keys(values).length > 0 && (await em.nativeUpdate(n.entity, pending, values, UNFILTERED)) > 0)
      return true
    // Nothing to write, or a MySQL connection counting changed (not matched) rows: ask.
    return (await em.count(n.entity, pending, UNFILTERED)) > 0
  }

  async touchActivity(id: RowId, at: Date): Promise<void> {
    const n = this.#names
    if (!n.lastActivityAt) return
    await this.#em.fork().nativeUpdate(n.entity, { [n.id]: id }, { [n.lastActivityAt]: at }, UNFILTERED)
  }

  async claimPrompt(id: RowId, claim: PromptClaim): Promise<boolean> {
    const n = this.#names
    const em = this.#em.fork()
    const pending = { [n.id]: id, [n.status]: 'pending' }
    const values: Raw = {}
    if (n.opencodeSessionId) values[n.opencodeSessionId] = claim.opencodeSessionId
    if (!n.opencodeMessageId) return (await em.count(n.entity, pending, UNFILTERED)) > 0
    values[n.opencodeMessageId] = claim.opencodeMessageId
    const where = { ...pending, [n.opencodeMessageId]: null }
    return (await em.nativeUpdate(n.entity, where, values, UNFILTERED)) > 0
  }

  async listStalled(options: { before: Date; limit: number }): Promise<RowId[]> {
    const n = this.#names
    if (!n.lastActivityAt) return []
    const rows = (await this.#em.fork().find(
      n.entity,
      { [n.status]: 'pending', [n.lastActivityAt]: { $ne: null, $lt: options.before } },
      {
        ...UNFILTERED,
        fields: [n.id] as never,
        orderBy: { [n.lastActivityAt]: 'asc', [n.id]: 'asc' },
        limit: Math.max(0, Math.trunc(options.limit)),
      },
    )) as Raw[]
    return rows.map((row) => toRowId(row[n.id]))
  }

  async claimStalled(id: RowId, lease: { before: Date; at: Date }): Promise<boolean> {
    const n = this.#names
    if (!n.lastActivityAt) return false
    const where = { [n.id]: id, [n.status]: 'pending', [n.lastActivityAt]: { $ne: null, $lt: lease.before } }
    const values = { [n.lastActivityAt]: lease.at }
    return (await this.#em.fork().nativeUpdate(n.entity, where, values, UNFILTERED)) > 0
  }

  async updateRequests(id: RowId, expected: StoredRequest[] | null, next: StoredRequest[]): Promise<boolean> {
    const n = this.#names
    if (!n.requests) throw new InvalidArgumentError('updateRequests: no requests property is mapped')
    const was = requestsText(expected)
    const now = requestsText(next)
    const em = this.#em.fork()
    const where: Raw = { [n.id]: id }
    if (was === null) where[n.requests] = null
    else if (this.#mysql) {
      // MySQL compares text case-insensitively: compare the bytes.
      const column = em.getMetadata().find(n.entity)?.properties[n.requests]?.fieldNames?.[0] ?? n.requests
      // Unqualified: an UPDATE has no table alias (the count's single-table SELECT needs none).
      where[raw(`binary ${em.getPlatform().quoteIdentifier(column)}`)] = was
    } else where[n.requests] = was
    if (was === now) return (await em.count(n.entity, where, UNFILTERED)) > 0
    return (await em.nativeUpdate(n.entity, where, { [n.requests]: now }, UNFILTERED)) > 0
  }

  async #transition(id: RowId, status: MessageStatus, fields: MessageFields): Promise<boolean> {
    const n = this.#names
    const values = { ...this.#values(fields), [n.status]: status }
    if (n.updatedAt) values[n.updatedAt] = new Date()
    const count = await this.#em
      .fork()
      .nativeUpdate(n.entity, { [n.id]: id, [n.status]: 'pending' }, values, UNFILTERED)
    return count > 0
  }

  #values(fields: MessageFields | SnapshotFields): Raw {
    // `json` properties take arrays (MikroORM serializes them); text properties take JSON text.
    const asText = this.#names.jsonAsText
    return encodeMessageFields(fields, this.#names, (name) => asText.has(name))
  }

  #toRow(row: Raw): MessageRow {
    return decodeMessageRow((property) => row[property], this.#names)
  }
}
