import {
  DEFAULT_MESSAGES_TABLE,
  DEFAULT_SUBJECTS_TABLE,
  MESSAGE_COLUMNS,
  type MessageColumns,
  SUBJECT_COLUMNS,
  type SubjectColumns,
} from './columns.js'

/** Which table holds one kind of row, and which of its columns hold each field. */
export interface TableOptions<Columns> {
  /** Default `opencode_subjects` / `opencode_messages`. */
  table?: string
  /** Column names by field; left-out fields keep the shipped schema's names. */
  columns?: Partial<Columns>
}

/** SQLite tuning, for adapters on SQLite. */
export interface SqliteOptions {
  /**
   * How long a writer waits for another connection's (or process's) write lock before failing
   * with `SQLITE_BUSY`. Default 30 000 ms.
   */
  busyTimeoutMs?: number
}

/**
 * The options every opencode-kit ORM adapter takes (next to its ORM's own notion of a model or
 * entity where one must appear): tables, their columns, SQLite tuning. Everything defaults to the
 * shipped schema, so the same options object maps the same tables in every adapter.
 *
 * @example
 * ```ts
 * const options: AdapterOptions = {
 *   subjects: { table: 'conversations', columns: { opencodeSessionId: 'agent_session_id' } },
 *   messages: { table: 'chat_messages', columns: { content: 'body', reasoning: null } },
 *   sqlite: { busyTimeoutMs: 10_000 },
 * }
 * ```
 */
export interface AdapterOptions {
  subjects?: TableOptions<SubjectColumns>
  messages?: TableOptions<MessageColumns>
  sqlite?: SqliteOptions
}

/** {@link AdapterOptions} with every default filled in. */
export interface ResolvedAdapterOptions {
  subjects: { table: string; columns: SubjectColumns }
  messages: { table: string; columns: MessageColumns }
  sqlite: { busyTimeoutMs: number }
}

/** The SQLite busy timeout every adapter uses unless told otherwise. */
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 30_000

/**
 * Fill in the shipped schema's table and column names for everything `options` leaves out.
 *
 * @example
 * ```ts
 * const { subjects, messages, sqlite } = resolveAdapterOptions({ messages: { columns: { content: 'body' } } })
 * messages.columns.content // 'body'
 * subjects.table // 'opencode_subjects'
 * ```
 */
export function resolveAdapterOptions(options: AdapterOptions = {}): ResolvedAdapterOptions {
  return {
    subjects: {
      table: options.subjects?.table ?? DEFAULT_SUBJECTS_TABLE,
      columns: withDefaults(SUBJECT_COLUMNS, options.subjects?.columns),
    },
    messages: {
      table: options.messages?.table ?? DEFAULT_MESSAGES_TABLE,
      columns: withDefaults(MESSAGE_COLUMNS, options.messages?.columns),
    },
    sqlite: { busyTimeoutMs: options.sqlite?.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS },
  }
}

/** `defaults` with every field `given` defines (a `null` included) replaced. */
function withDefaults<T extends object>(defaults: Readonly<T>, given: Partial<T> = {}): T {
  const out = { ...defaults }
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value
  }
  return out
}
