import type { MikroORM } from '@mikro-orm/core'
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

type Raw = Record<string, unknown>

/**
 * {@link MessagePort} on MikroORM, every write a `nativeUpdate` on a fresh fork: terminal
 * transitions are one `UPDATE … WHERE id = ? AND status = 'pending'` whose affected count is the
 * answer; `snapshot` and `touchActivity` skip entity lifecycle hooks (nothing is loaded into an
 * identity map, no `onUpdate` runs). Build it with {@link mikroOrmAdapter}.
 */
export class MikroOrmMessagePort implements MessagePort {
  readonly #orm: MikroORM
  readonly #names: MessageNames

  constructor(orm: MikroORM, names: MessageNames) {
    this.#orm = orm
    this.#names = names
  }

  async load(id: RowId): Promise<MessageRow> {
    const row = (await this.#orm.em
      .fork()
      .findOne(this.#names.entity, { [this.#names.id]: id })) as Raw | null
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
    await this.#orm.em.fork().nativeUpdate(this.#names.entity, { [this.#names.id]: id }, values)
  }

  async snapshot(id: RowId, fields: SnapshotFields): Promise<boolean> {
    const n = this.#names
    const values = this.#values(fields)
    if (Object.keys(values).length === 0) values[n.status] = 'pending' // a no-op write that still answers
    const count = await this.#orm.em
      .fork()
      .nativeUpdate(n.entity, { [n.id]: id, [n.status]: 'pending' }, values)
    return count > 0
  }

  async touchActivity(id: RowId, at: Date): Promise<void> {
    const n = this.#names
    if (!n.lastActivityAt) return
    await this.#orm.em.fork().nativeUpdate(n.entity, { [n.id]: id }, { [n.lastActivityAt]: at })
  }

  async #transition(id: RowId, status: MessageStatus, fields: MessageFields): Promise<boolean> {
    const n = this.#names
    const values = { ...this.#values(fields), [n.status]: status }
    if (n.updatedAt) values[n.updatedAt] = new Date()
    const count = await this.#orm.em
      .fork()
      .nativeUpdate(n.entity, { [n.id]: id, [n.status]: 'pending' }, values)
    return count > 0
  }

  #values(fields: MessageFields): Raw {
    // JSON properties take objects; MikroORM converts them for the platform.
    return MessageRowCodec.encode(fields, this.#names)
  }

  #toRow(row: Raw): MessageRow {
    return MessageRowCodec.decode((property) => row[property], this.#names)
  }
}
