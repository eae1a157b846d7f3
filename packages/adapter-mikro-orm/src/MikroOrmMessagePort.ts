import type { EntityManager } from '@mikro-orm/core'
import {
  InvalidArgumentError,
  type MessageFields,
  type MessagePort,
  type MessageRow,
  MessageRowCodec,
  type MessageStatus,
  type RowId,
  type SnapshotFields,
} from '@opencode-kit/core'
import type { MessageNames } from './options.js'
import { toRowId } from './toRowId.js'
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

  /** @param em forked for every call, never used itself. */
  constructor(em: EntityManager, names: MessageNames) {
    this.#em = em
    this.#names = names
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

  async #transition(id: RowId, status: MessageStatus, fields: MessageFields): Promise<boolean> {
    const n = this.#names
    const values = { ...this.#values(fields), [n.status]: status }
    if (n.updatedAt) values[n.updatedAt] = new Date()
    const count = await this.#em
      .fork()
      .nativeUpdate(n.entity, { [n.id]: id, [n.status]: 'pending' }, values, UNFILTERED)
    return count > 0
  }

  #values(fields: MessageFields): Raw {
    // `json` properties take arrays (MikroORM serializes them); text properties take JSON text.
    const asText = this.#names.jsonAsText
    return MessageRowCodec.encode(fields, this.#names, { jsonAsText: (name) => asText.has(name) })
  }

  #toRow(row: Raw): MessageRow {
    const decoded = MessageRowCodec.decode((property) => row[property], this.#names)
    return { ...decoded, id: toRowId(decoded.id) }
  }
}
