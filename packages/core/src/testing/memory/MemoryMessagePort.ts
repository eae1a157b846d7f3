import { RowNotFoundError } from '../../host/errors.js'
import type {
  MessageFields,
  MessagePort,
  MessageRow,
  MessageStatus,
  PromptClaim,
  RowId,
  SnapshotFields,
  StoredRequest,
} from '../../host/ports.js'

type MutableRow = { -readonly [K in keyof MessageRow]: MessageRow[K] }

/**
 * An in-memory {@link MessagePort} with real compare-and-set semantics: terminal transitions move
 * the row only from `pending`, and answer whether they did.
 *
 * @example
 * ```ts
 * const messages = new MemoryMessagePort()
 * const message = messages.insert()
 * await messages.cancel(message.id)              // true
 * await messages.finalize(message.id, { content: 'late' }) // false: the cancel won
 * ```
 */
export class MemoryMessagePort implements MessagePort {
  private readonly rows = new Map<string, MutableRow>()
  private nextId = 1

  /** Insert a row (status `pending` unless given); returns a copy. */
  insert(fields: Partial<MessageRow> = {}): MessageRow {
    const row: MutableRow = {
      id: fields.id ?? this.nextId++,
      status: fields.status ?? 'pending',
      content: fields.content ?? null,
      reasoning: fields.reasoning ?? null,
      parts: fields.parts ?? null,
      toolCalls: fields.toolCalls ?? null,
      cost: fields.cost ?? null,
      inputTokens: fields.inputTokens ?? null,
      outputTokens: fields.outputTokens ?? null,
      cacheReadTokens: fields.cacheReadTokens ?? null,
      cacheWriteTokens: fields.cacheWriteTokens ?? null,
      lastActivityAt: fields.lastActivityAt ?? null,
      opencodeSessionId: fields.opencodeSessionId ?? null,
      opencodeMessageId: fields.opencodeMessageId ?? null,
      requests: fields.requests ?? null,
    }
    this.rows.set(String(row.id), row)
    return copyRow(row)
  }

  async load(id: RowId): Promise<MessageRow> {
    return copyRow(this.row(id))
  }

  async finalize(id: RowId, fields: MessageFields): Promise<boolean> {
    return this.transition(id, 'completed', fields)
  }

  async error(id: RowId, content: string): Promise<boolean> {
    return this.transition(id, 'error', { content })
  }

  async cancel(id: RowId): Promise<boolean> {
    return this.transition(id, 'cancelled', {})
  }

  async update(id: RowId, fields: MessageFields): Promise<void> {
    Object.assign(this.row(id), copyRow(definedOnly(fields)))
  }

  async snapshot(id: RowId, fields: SnapshotFields): Promise<boolean> {
    const row = this.row(id)
    if (row.status !== 'pending') return false
    Object.assign(row, copyRow(definedOnly(fields)))
    return true
  }

  async touchActivity(id: RowId, at: Date): Promise<void> {
    this.row(id).lastActivityAt = new Date(at)
  }

  async claimPrompt(id: RowId, claim: PromptClaim): Promise<boolean> {
    const row = this.row(id)
    if (row.status !== 'pending' || row.opencodeMessageId !== null) return false
    row.opencodeSessionId = claim.opencodeSessionId
    row.opencodeMessageId = claim.opencodeMessageId
    return true
  }

  async listStalled(options: { before: Date; limit: number }): Promise<RowId[]> {
    const before = options.before.getTime()
    return [...this.rows.values()]
      .filter((row) => row.status === 'pending' && row.lastActivityAt !== null)
      .filter((row) => (row.lastActivityAt as Date).getTime() < before)
      .sort((a, b) => (a.lastActivityAt as Date).getTime() - (b.lastActivityAt as Date).getTime())
      .slice(0, Math.max(0, options.limit))
      .map((row) => row.id)
  }

  async claimStalled(id: RowId, lease: { before: Date; at: Date }): Promise<boolean> {
    const row = this.row(id)
    const stamp = row.lastActivityAt
    if (row.status !== 'pending' || stamp === null || stamp.getTime() >= lease.before.getTime()) return false
    row.lastActivityAt = new Date(lease.at)
    return true
  }

  async updateRequests(id: RowId, expected: StoredRequest[] | null, next: StoredRequest[]): Promise<boolean> {
    const row = this.row(id)
    // The same comparison the SQL adapters make: the stored JSON text against `expected`'s.
    if (JSON.stringify(row.requests) !== JSON.stringify(expected)) return false
    row.requests = copyRow(next)
    return true
  }

  private transition(id: RowId, status: MessageStatus, fields: MessageFields): boolean {
    const row = this.row(id)
    if (row.status !== 'pending') return false
    Object.assign(row, copyRow(definedOnly(fields)), { status })
    return true
  }

  private row(id: RowId): MutableRow {
    const row = this.rows.get(String(id))
    if (!row) throw new RowNotFoundError(`No message row ${id}`)
    return row
  }
}

function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>
}

/**
 * `structuredClone` for rows, except that strings are shared, not copied: they are immutable, so
 * sharing keeps the isolation a database gives, and a finalized 8 MB reply is not copied (twice:
 * `content` and `parts`) on every write and read. Anything but plain objects, arrays and dates
 * goes through `structuredClone` (which still rejects functions).
 */
function copyRow<T>(value: T): T {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value
  if (Array.isArray(value)) return value.map(copyRow) as T
  if (value instanceof Date) return new Date(value) as T
  const proto = Object.getPrototypeOf(value)
  if (typeof value === 'function' || (proto !== Object.prototype && proto !== null))
    return structuredClone(value)
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) copy[key] = copyRow((value as Record<string, unknown>)[key])
  return copy as T
}
