/** Column names of the subjects table, by port field. */
export interface SubjectColumns {
  id?: string
  title?: string
  opencodeSessionId?: string
}

/**
 * Column names of the messages table, by port field. Optional fields may be `null` when the host
 * table has no such column: writes to it are skipped and reads answer null.
 */
export interface MessageColumns {
  id?: string
  status?: string
  content?: string
  reasoning?: string | null
  parts?: string | null
  toolCalls?: string | null
  cost?: string | null
  inputTokens?: string | null
  outputTokens?: string | null
  cacheReadTokens?: string | null
  cacheWriteTokens?: string | null
  lastActivityAt?: string | null
  opencodeSessionId?: string | null
  opencodeMessageId?: string | null
  /** A text column (JSON text; `updateRequests` compares it). */
  requests?: string | null
  /** Bumped by terminal transitions and `update` (never by `snapshot`/`touchActivity`); null to skip. */
  updatedAt?: string | null
}

/**
 * Options of {@link knexAdapter}: which tables and columns hold the subjects and messages.
 * Everything defaults to the shipped schema (see `opencodeMigrations`).
 */
export interface KnexAdapterOptions {
  subjects?: { table?: string; columns?: SubjectColumns }
  messages?: { table?: string; columns?: MessageColumns }
  /** SQLite only: how long a writer waits for another process's write lock (default 15 000 ms). */
  sqlite?: { busyTimeoutMs?: number }
}

/** Resolved subject table mapping. */
export interface SubjectNames {
  table: string
  id: string
  title: string
  opencodeSessionId: string
}

/** Resolved message table mapping (`null`: the host table has no such column). */
export interface MessageNames {
  table: string
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
  requests: string | null
  updatedAt: string | null
}

/** Default table names of the shipped schema. */
export const DEFAULT_SUBJECTS_TABLE = 'opencode_subjects'
/** Default table names of the shipped schema. */
export const DEFAULT_MESSAGES_TABLE = 'opencode_messages'

/** Fill in the shipped schema's names for everything `options` leaves out. */
export function resolveNames(options: KnexAdapterOptions): {
  subjects: SubjectNames
  messages: MessageNames
} {
  const s = options.subjects?.columns ?? {}
  const m = options.messages?.columns ?? {}
  const pick = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value)
  return {
    subjects: {
      table: options.subjects?.table ?? DEFAULT_SUBJECTS_TABLE,
      id: s.id ?? 'id',
      title: s.title ?? 'title',
      opencodeSessionId: s.opencodeSessionId ?? 'opencode_session_id',
    },
    messages: {
      table: options.messages?.table ?? DEFAULT_MESSAGES_TABLE,
      id: m.id ?? 'id',
      status: m.status ?? 'status',
      content: m.content ?? 'content',
      reasoning: pick(m.reasoning, 'reasoning'),
      parts: pick(m.parts, 'parts_json'),
      toolCalls: pick(m.toolCalls, 'tool_calls_json'),
      cost: pick(m.cost, 'cost'),
      inputTokens: pick(m.inputTokens, 'input_tokens'),
      outputTokens: pick(m.outputTokens, 'output_tokens'),
      cacheReadTokens: pick(m.cacheReadTokens, 'cache_read_tokens'),
      cacheWriteTokens: pick(m.cacheWriteTokens, 'cache_write_tokens'),
      lastActivityAt: pick(m.lastActivityAt, 'last_activity_at'),
      opencodeSessionId: pick(m.opencodeSessionId, 'opencode_session_id'),
      opencodeMessageId: pick(m.opencodeMessageId, 'opencode_message_id'),
      requests: pick(m.requests, 'requests_json'),
      updatedAt: pick(m.updatedAt, 'updated_at'),
    },
  }
}
