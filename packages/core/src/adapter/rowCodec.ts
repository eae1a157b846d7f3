import type {
  MessageFields,
  MessageRow,
  MessageStatus,
  RowId,
  SnapshotFields,
  StoredPart,
  StoredRequest,
  SubjectRow,
} from '../host/ports.js'
import type { MessageColumns, SubjectColumns } from './columns.js'

/**
 * A primary key as the ports hand it out: drivers hydrate BIGINT as `bigint` (MikroORM, Prisma),
 * which `JSON.stringify` (job payloads, API responses) rejects. Safe integers become numbers,
 * larger ones decimal strings.
 *
 * @example
 * ```ts
 * toRowId(42n) // 42
 * ```
 */
export function toRowId(value: unknown): RowId {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString()
  }
  return value as RowId
}

/**
 * A {@link SubjectRow} from a driver row, reading each field through `read(name)`.
 *
 * @example
 * ```ts
 * const row = decodeSubjectRow((name) => raw[name], names)
 * ```
 */
export function decodeSubjectRow(read: (name: string) => unknown, names: SubjectColumns): SubjectRow {
  return {
    id: toRowId(read(names.id)),
    title: (read(names.title) as string | null | undefined) ?? null,
    opencodeSessionId: (read(names.opencodeSessionId) as string | null | undefined) ?? null,
  }
}

/**
 * A {@link MessageRow} from a driver row, reading each field through `read(name)`, the same way in
 * every adapter: JSON columns may come back parsed (PostgreSQL `json`) or as text (SQLite,
 * MariaDB, `text` columns), DECIMAL and BIGINT as strings or bigints, dates as `Date`, numbers or
 * text. Fields mapped to `null` read as null.
 *
 * @example
 * ```ts
 * const row = decodeMessageRow((column) => raw[column], names)
 * ```
 */
export function decodeMessageRow(read: (name: string) => unknown, names: MessageColumns): MessageRow {
  const get = (name: string | null): unknown => (name === null ? null : (read(name) ?? null))
  return {
    id: toRowId(get(names.id)),
    status: get(names.status) as MessageStatus,
    content: get(names.content) as string | null,
    reasoning: get(names.reasoning) as string | null,
    parts: jsonList<StoredPart>(get(names.parts)),
    toolCalls: jsonList<StoredPart>(get(names.toolCalls)),
    cost: toNumber(get(names.cost)),
    inputTokens: toNumber(get(names.inputTokens)),
    outputTokens: toNumber(get(names.outputTokens)),
    cacheReadTokens: toNumber(get(names.cacheReadTokens)),
    cacheWriteTokens: toNumber(get(names.cacheWriteTokens)),
    lastActivityAt: toDate(get(names.lastActivityAt)),
    opencodeSessionId: get(names.opencodeSessionId) as string | null,
    opencodeMessageId: get(names.opencodeMessageId) as string | null,
    requests: jsonList<StoredRequest>(get(names.requests)),
  }
}

/**
 * Driver values for `fields`, keyed by the host's names: undefined fields and fields the host does
 * not have are dropped; parts are JSON text where `jsonAsText(name)` says so (text columns, or
 * drivers that take JSON as text everywhere).
 *
 * @example
 * ```ts
 * const values = encodeMessageFields({ content: 'Hi', parts }, names, () => true)
 * ```
 */
export function encodeMessageFields(
  fields: MessageFields | SnapshotFields,
  names: MessageColumns,
  jsonAsText: (name: string) => boolean = () => false,
): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields) as Array<
    [keyof MessageFields | keyof SnapshotFields, unknown]
  >) {
    if (value === undefined) continue
    const name = names[key]
    if (name === null || name === undefined) continue
    const json = (key === 'parts' || key === 'toolCalls') && value !== null
    values[name] = json && jsonAsText(name) ? JSON.stringify(value) : value
  }
  return values
}

/**
 * The JSON text a requests column holds for `requests` (null for none): what `updateRequests`
 * writes, and what it compares the column with.
 *
 * @example
 * ```ts
 * requestsText([]) // '[]'
 * ```
 */
export function requestsText(requests: StoredRequest[] | null): string | null {
  return requests === null ? null : JSON.stringify(requests)
}

/** A list from a JSON column, parsed or as text (anything but an array reads as null). */
function jsonList<T>(value: unknown): T[] | null {
  if (value === null || value === undefined) return null
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value
  return Array.isArray(parsed) ? (parsed as T[]) : null
}

/** A number from a numeric column (DECIMAL and BIGINT arrive as strings or bigints). */
function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null
  return typeof value === 'number' ? value : Number(value)
}

/** A date from a timestamp column (a `Date`, epoch milliseconds or text). */
function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value
  if (typeof value === 'bigint') return new Date(Number(value))
  return typeof value === 'number' ? new Date(value) : new Date(String(value))
}
