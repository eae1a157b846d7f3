/** The shipped schema's subjects table. */
export const DEFAULT_SUBJECTS_TABLE = 'opencode_subjects'
/** The shipped schema's messages table. */
export const DEFAULT_MESSAGES_TABLE = 'opencode_messages'

/** Where each subject field lives: a column name (or, once an adapter translated it, its ORM's name). */
export interface SubjectColumns {
  id: string
  title: string
  opencodeSessionId: string
}

/**
 * Where each message field lives. Every field but `id`, `status` and `content` may be `null` when
 * the host table has no such column: it reads as null and writes to it are dropped.
 */
export interface MessageColumns {
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
  /** Stamped by terminal transitions and `update` (never by snapshots, heartbeats or claims). */
  updatedAt: string | null
}

/** The shipped schema's subject columns. */
export const SUBJECT_COLUMNS: Readonly<SubjectColumns> = {
  id: 'id',
  title: 'title',
  opencodeSessionId: 'opencode_session_id',
}

/** The shipped schema's message columns. */
export const MESSAGE_COLUMNS: Readonly<MessageColumns> = {
  id: 'id',
  status: 'status',
  content: 'content',
  reasoning: 'reasoning',
  parts: 'parts_json',
  toolCalls: 'tool_calls_json',
  cost: 'cost',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cacheReadTokens: 'cache_read_tokens',
  cacheWriteTokens: 'cache_write_tokens',
  lastActivityAt: 'last_activity_at',
  opencodeSessionId: 'opencode_session_id',
  opencodeMessageId: 'opencode_message_id',
  requests: 'requests_json',
  updatedAt: 'updated_at',
}
