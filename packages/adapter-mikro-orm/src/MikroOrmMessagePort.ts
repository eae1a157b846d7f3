import type { MikroORM } from '@mikro-orm/core'
import {
  InvalidArgumentError,
  type MessageFields,
  type MessagePort,
  type MessageRow,
  type MessageStatus,
  type RowId,
  type SnapshotFields,
  type StoredPart,
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
    const values: Raw = {}
    for (const [key, value] of Object.entries(fields) as Array<[keyof MessageFields, unknown]>) {
      if (value === undefined) continue
      const property = this.#names[key]
      if (property === null || property === undefined) continue
      values[property] = value
    }
    return values
  }

  #toRow(row: Raw): MessageRow {
    const n = this.#names
    const get = (property: string | null): unknown => (property === null ? null : (row[property] ?? null))
    return {
      id: get(n.id) as RowId,
      status: get(n.status) as MessageStatus,
      content: get(n.content) as string | null,
      reasoning: get(n.reasoning) as string | null,
      partsJson: parts(get(n.partsJson)),
      toolCallsJson: parts(get(n.toolCallsJson)),
      cost: num(get(n.cost)),
      inputTokens: num(get(n.inputTokens)),
      outputTokens: num(get(n.outputTokens)),
      cacheReadTokens: num(get(n.cacheReadTokens)),
      cacheWriteTokens: num(get(n.cacheWriteTokens)),
      lastActivityAt: date(get(n.lastActivityAt)),
    }
  }
}

/** JSON properties come back parsed; text columns mapped by a host entity may give JSON text. */
function parts(value: unknown): StoredPart[] | null {
  if (value === null) return null
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value
  return Array.isArray(parsed) ? (parsed as StoredPart[]) : null
}

/** DECIMAL and BIGINT come back as strings. */
function num(value: unknown): number | null {
  if (value === null) return null
  return typeof value === 'number' ? value : Number(value)
}

function date(value: unknown): Date | null {
  if (value === null) return null
  return value instanceof Date ? value : new Date(value as string | number)
}
