import type {
  MessageFields,
  MessagePort,
  MessageStatus,
  PromptClaim,
  RowId,
  SnapshotFields,
  StoredRequest,
} from '../host/ports.js'
import { InvalidArgumentError } from '../wire/errors.js'
import type { MessageColumns } from './columns.js'
import { decodeMessageRow, encodeMessageFields, requestsText, toRowId } from './rowCodec.js'

/**
 * One condition of a statement's WHERE clause, on a field's ORM name: `eq` (equals `value`),
 * `null` (IS NULL), `notNull`, `lt` (less than the date `value`), `text` (equals the string
 * `value` byte for byte: MySQL/MariaDB compare text case-insensitively, so compare bytes there —
 * `BINARY col = ?`).
 */
export type Condition =
  | { field: string; op: 'eq'; value: unknown }
  | { field: string; op: 'null' }
  | { field: string; op: 'notNull' }
  | { field: string; op: 'lt'; value: Date }
  | { field: string; op: 'text'; value: string }

/**
 * How a write runs: `transition` (a terminal CAS) and `update` run as any ORM update (hooks,
 * timestamps); `quiet` is the Rails `update_columns` — no hooks, no timestamps, no validation.
 */
export type WriteMode = 'transition' | 'update' | 'quiet'

/** The statements an adapter supplies; {@link createMessagePort} builds the port on them. */
export interface MessageStatements {
  /** The row with primary key `id` (values by ORM name), or undefined. */
  find(id: RowId): Promise<Record<string, unknown> | undefined>
  /** `UPDATE … SET values WHERE id = ? AND every condition`; the rows it matched (or changed). */
  update(id: RowId, values: Record<string, unknown>, where: Condition[], mode: WriteMode): Promise<number>
  /** Primary keys of the rows matching every condition, ordered by `orderBy` ascending, at most `limit`. */
  list(where: Condition[], orderBy: string[], limit: number): Promise<unknown[]>
}

/** What {@link createMessagePort} needs. */
export interface MessagePortParts {
  /** ORM names of each field (`null`: the host has none). `updatedAt` is stamped by the kit when set. */
  names: MessageColumns
  statements: MessageStatements
  /** Whether a parts field takes JSON text (a text column, or a driver that wants text). Default: never. */
  jsonAsText?: (name: string) => boolean
}

/**
 * A {@link MessagePort} from an ORM's three statements — the transitions, snapshots, heartbeats,
 * claims, stalled lists and leases, and request CAS every adapter needs, written once. Every compare-and-set is
 * one conditional UPDATE whose matched count is the answer; where a driver counts *changed* rows
 * (MySQL with `-FOUND_ROWS`) and a write changed nothing, the row is re-read to answer.
 *
 * @example
 * ```ts
 * const messages = createMessagePort({
 *   names,
 *   statements: {
 *     find: (id) => knex(table).where(names.id, id).first(),
 *     update: (id, values, where) => conditions(knex(table).where(names.id, id), where).update(values),
 *     list: (where, orderBy, limit) => conditions(knex(table), where).orderBy(orderBy).limit(limit).pluck(names.id),
 *   },
 * })
 * ```
 */
export function createMessagePort({ names, statements, jsonAsText }: MessagePortParts): MessagePort {
  const pending: Condition = { field: names.status, op: 'eq', value: 'pending' }
  const encode = (fields: MessageFields) => encodeMessageFields(fields, names, jsonAsText)
  const stamp = () => (names.updatedAt === null ? {} : { [names.updatedAt]: new Date() })
  const load = async (id: RowId) => {
    const raw = await statements.find(id)
    if (!raw) throw new InvalidArgumentError(`no message row with id ${String(id)}`)
    return decodeMessageRow((name) => raw[name], names)
  }
  const isPending = async (id: RowId) => {
    const raw = await statements.find(id)
    return raw !== undefined && raw[names.status] === 'pending'
  }
  const transition = async (id: RowId, status: MessageStatus, values: Record<string, unknown>) =>
    (await statements.update(
      id,
      { ...values, ...stamp(), [names.status]: status },
      [pending],
      'transition',
    )) > 0

  return {
    load,
    finalize: (id, fields) => transition(id, 'completed', encode(fields)),
    error: (id, content) => transition(id, 'error', { [names.content]: content }),
    cancel: (id) => transition(id, 'cancelled', {}),

    async update(id, fields) {
      const values = encode(fields)
      if (Object.keys(values).length === 0) return
      await statements.update(id, { ...values, ...stamp() }, [], 'update')
    },

    async snapshot(id, fields: SnapshotFields) {
      const values = encode(fields)
      if (Object.keys(values).length > 0 && (await statements.update(id, values, [pending], 'quiet')) > 0)
        return true
      // Nothing to write, or a driver counting changed (not matched) rows: ask.
      return isPending(id)
    },

    async touchActivity(id, at) {
      if (names.lastActivityAt === null) return
      await statements.update(id, { [names.lastActivityAt]: at }, [], 'quiet')
    },

    async claimPrompt(id, claim: PromptClaim) {
      // Without an upstream message id column there is nothing to claim: any pending row is "won".
      if (names.opencodeMessageId === null) return isPending(id)
      const values: Record<string, unknown> = { [names.opencodeMessageId]: claim.opencodeMessageId }
      if (names.opencodeSessionId !== null) values[names.opencodeSessionId] = claim.opencodeSessionId
      const unclaimed: Condition = { field: names.opencodeMessageId, op: 'null' }
      return (await statements.update(id, values, [pending, unclaimed], 'quiet')) > 0
    },

    async listStalled({ before, limit }) {
      if (names.lastActivityAt === null) return []
      const activity = names.lastActivityAt
      const ids = await statements.list(
        [pending, { field: activity, op: 'notNull' }, { field: activity, op: 'lt', value: before }],
        [activity, names.id],
        Math.max(0, Math.trunc(limit)),
      )
      return ids.map(toRowId)
    },

    async claimStalled(id, { before, at }) {
      if (names.lastActivityAt === null) return false
      const activity = names.lastActivityAt
      const stale: Condition[] = [
        pending,
        { field: activity, op: 'notNull' },
        { field: activity, op: 'lt', value: before },
      ]
      return (await statements.update(id, { [activity]: at }, stale, 'quiet')) > 0
    },

    async updateRequests(id, expected: StoredRequest[] | null, next: StoredRequest[]) {
      const column = names.requests
      if (column === null) throw new InvalidArgumentError('updateRequests: no requests column is mapped')
      const was = requestsText(expected)
      const now = requestsText(next)
      const holds: Condition =
        was === null ? { field: column, op: 'null' } : { field: column, op: 'text', value: was }
      if (was === now) {
        const raw = await statements.find(id)
        return raw !== undefined && (raw[column] ?? null) === was
      }
      return (await statements.update(id, { [column]: now }, [holds], 'quiet')) > 0
    },
  }
}
