import type { MessageFields, MessageRow, MessageStatus, RowId, StoredPart, StoredRequest } from './ports.js'

/**
 * Where each field of a message lives in a host table or entity: a column, attribute or property
 * name, or `null` when the host has no such field (it reads as null, writes to it are dropped).
 */
export interface MessageFieldMap {
  id: string
  status: string
  content: string
  reasoning: string | null
  parts: string | null
  toolCalls: string | null
  cost: string | null
  inputTokens: string | null
  outputTokens: string | null
  cacheReadTokens: string | null
  cacheWriteTokens: string | null
  lastActivityAt: string | null
  opencodeSessionId: string | null
  opencodeMessageId: string | null
  /** A text column: `updateRequests` compares its JSON text. */
  requests: string | null
}

/**
 * Turns driver rows into {@link MessageRow}s and {@link MessageFields} into driver values, the
 * same way in every ORM adapter: JSON columns may come back parsed (PostgreSQL `json`) or as text
 * (SQLite, MariaDB, `text` columns), DECIMAL and BIGINT as strings, dates as `Date`, numbers or
 * text.
 *
 * @example
 * ```ts
 * const row = MessageRowCodec.decode((column) => raw[column], names)
 * const values = MessageRowCodec.encode({ content: 'Hi', parts: parts }, names, { jsonAsText: () => true })
 * ```
 */
export const MessageRowCodec = {
  /** A {@link MessageRow} from a driver row, reading each field through `read(name)`. */
  decode(read: (name: string) => unknown, map: MessageFieldMap): MessageRow {
    const get = (name: string | null): unknown => (name === null ? null : (read(name) ?? null))
    return {
      id: get(map.id) as RowId,
      status: get(map.status) as MessageStatus,
      content: get(map.content) as string | null,
      reasoning: get(map.reasoning) as string | null,
      parts: MessageRowCodec.parts(get(map.parts)),
      toolCalls: MessageRowCodec.parts(get(map.toolCalls)),
      cost: MessageRowCodec.number(get(map.cost)),
      inputTokens: MessageRowCodec.number(get(map.inputTokens)),
      outputTokens: MessageRowCodec.number(get(map.outputTokens)),
      cacheReadTokens: MessageRowCodec.number(get(map.cacheReadTokens)),
      cacheWriteTokens: MessageRowCodec.number(get(map.cacheWriteTokens)),
      lastActivityAt: MessageRowCodec.date(get(map.lastActivityAt)),
      opencodeSessionId: get(map.opencodeSessionId) as string | null,
      opencodeMessageId: get(map.opencodeMessageId) as string | null,
      requests: MessageRowCodec.requests(get(map.requests)),
    }
  },

  /**
   * Driver values for `fields`, keyed by the host's names: undefined fields and fields the host
   * does not have are dropped; parts are JSON text where `jsonAsText(name)` says so.
   */
  encode(
    fields: MessageFields,
    map: MessageFieldMap,
    options: { jsonAsText?: (name: string) => boolean } = {},
  ): Record<string, unknown> {
    const values: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(fields) as Array<[keyof MessageFields, unknown]>) {
      if (value === undefined) continue
      const name = map[key]
      if (name === null || name === undefined) continue
      const json = (key === 'parts' || key === 'toolCalls') && value !== null
      values[name] = json && options.jsonAsText?.(name) ? JSON.stringify(value) : value
    }
    return values
  },

  /** Parts from a JSON column, parsed or as text. */
  parts(value: unknown): StoredPart[] | null {
    if (value === null || value === undefined) return null
    const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value
    return Array.isArray(parsed) ? (parsed as StoredPart[]) : null
  },

  /** Stored requests from their JSON text column (or already parsed). */
  requests(value: unknown): StoredRequest[] | null {
    if (value === null || value === undefined) return null
    const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value
    return Array.isArray(parsed) ? (parsed as StoredRequest[]) : null
  },

  /**
   * The JSON text a requests column holds for `requests` (null for none): what `updateRequests`
   * writes, and what it compares the column with.
   */
  requestsText(requests: StoredRequest[] | null): string | null {
    return requests === null ? null : JSON.stringify(requests)
  },

  /** A number from a numeric column (DECIMAL and BIGINT arrive as strings). */
  number(value: unknown): number | null {
    if (value === null || value === undefined) return null
    return typeof value === 'number' ? value : Number(value)
  },

  /** A date from a timestamp column (a `Date`, epoch milliseconds or text). */
  date(value: unknown): Date | null {
    if (value === null || value === undefined) return null
    if (value instanceof Date) return value
    return typeof value === 'number' ? new Date(value) : new Date(String(value))
  },
} as const
