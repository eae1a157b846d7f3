import type { Model, ModelStatic } from 'sequelize'

/**
 * Where the subject rows live. Either your own model (`model` + the `attributes` names on it) or a
 * table (`table` + its `columns`), for which the adapter defines a private model. Defaults match the
 * shipped schema (`opencode_subjects`, see {@link defineOpencodeModels} and {@link opencodeMigration}).
 */
export interface SubjectMapping {
  /** Your subject model. When given, `attributes` name its attributes (not columns). */
  model?: ModelStatic<Model>
  /** Table to map when no `model` is given. Default `opencode_subjects`. */
  table?: string
  /** Attribute names on `model`. Defaults: `id`, `title`, `opencodeSessionId`. */
  attributes?: Partial<SubjectNames>
  /** Column names of `table` (without `model`). Defaults: `id`, `title`, `opencode_session_id`. */
  columns?: Partial<SubjectNames>
}

/** The subject fields the ports read and write, mapped to your names. */
export interface SubjectNames {
  id: string
  title: string
  opencodeSessionId: string
}

/**
 * The message fields the ports read and write, mapped to your names. Every field but `id`,
 * `status` and `content` may be `null` when your table has no such column: it then reads as null
 * and writes to it are dropped.
 */
export interface MessageNames {
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
  /** A text attribute/column (JSON text; `updateRequests` compares it). */
  requests: string | null
}

/**
 * Where the assistant message rows live; same shape as {@link SubjectMapping}. Defaults match the
 * shipped `opencode_messages` table.
 */
export interface MessageMapping {
  /** Your message model. When given, `attributes` name its attributes (not columns). */
  model?: ModelStatic<Model>
  /** Table to map when no `model` is given. Default `opencode_messages`. */
  table?: string
  /** Attribute names on `model`. Defaults: the port names (`id`, `status`, `parts`, …). */
  attributes?: Partial<MessageNames>
  /** Column names of `table` (without `model`). Defaults: snake_case (`parts_json`, `last_activity_at`, …). */
  columns?: Partial<MessageNames>
  /**
   * Column stamped by terminal transitions and `update` when mapping a `table` (not used with a
   * `model`, whose own `timestamps` setting applies). Default `updated_at`; `false` for none.
   */
  updatedAtColumn?: string | false
}

/** Options of {@link sequelizeAdapter}. */
export interface SequelizeAdapterOptions {
  subjects?: SubjectMapping
  messages?: MessageMapping
  /**
   * SQLite only: how long a writer waits for the database's write lock before failing with
   * `SQLITE_BUSY`, in milliseconds. Applied to every connection the adapter's Sequelize opens.
   * Default 30 000 (node-sqlite3's own default is 1 000, too short for a lock held across an
   * OpenCode `createSession` call).
   */
  sqliteBusyTimeoutMs?: number
}
