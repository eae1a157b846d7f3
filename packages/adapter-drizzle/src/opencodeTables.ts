import { DEFAULT_MESSAGES_TABLE, DEFAULT_SUBJECTS_TABLE } from '@opencode-kit/core/adapter'
import { sql } from 'drizzle-orm'
import {
  bigint as myBigint,
  decimal as myDecimal,
  index as myIndex,
  int as myInt,
  json as myJson,
  longtext as myLongtext,
  mysqlTable,
  text as myText,
  timestamp as myTimestamp,
  varchar as myVarchar,
} from 'drizzle-orm/mysql-core'
import {
  bigserial,
  numeric,
  bigint as pgBigint,
  index as pgIndex,
  integer as pgInteger,
  json as pgJson,
  pgTable,
  text as pgText,
  timestamp as pgTimestamp,
  varchar as pgVarchar,
} from 'drizzle-orm/pg-core'
import { integer, index as liteIndex, text as liteText, real, sqliteTable } from 'drizzle-orm/sqlite-core'

/** Table names of the shipped schema (default `opencode_subjects` / `opencode_messages`). */
export interface OpencodeTableNames {
  subjectsTable?: string
  messagesTable?: string
}

const names = (options: OpencodeTableNames) => ({
  s: options.subjectsTable ?? DEFAULT_SUBJECTS_TABLE,
  m: options.messagesTable ?? DEFAULT_MESSAGES_TABLE,
})

/**
 * The shipped schema as Drizzle PostgreSQL tables — the same columns, types and index names as
 * every other adapter's, so rows are interchangeable. Export them from your schema file (so
 * drizzle-kit generates their migration) and pass them to {@link drizzleAdapter}.
 *
 * @example
 * ```ts
 * // db/schema.ts
 * export const { subjects: opencodeSubjects, messages: opencodeMessages } = pgOpencodeTables()
 * ```
 */
export function pgOpencodeTables(options: OpencodeTableNames = {}) {
  const { s, m } = names(options)
  const subjects = pgTable(s, {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    title: pgText('title'),
    opencodeSessionId: pgVarchar('opencode_session_id', { length: 255 }).unique(
      `${s}_opencode_session_id_unique`,
    ),
    createdAt: pgTimestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: pgTimestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  })
  const messages = pgTable(
    m,
    {
      id: bigserial('id', { mode: 'number' }).primaryKey(),
      subjectId: pgBigint('subject_id', { mode: 'number' })
        .notNull()
        .references(() => subjects.id, { onDelete: 'cascade' }),
      status: pgVarchar('status', { length: 16 }).notNull().default('pending'),
      content: pgText('content'),
      reasoning: pgText('reasoning'),
      parts: pgJson('parts_json'),
      toolCalls: pgJson('tool_calls_json'),
      cost: numeric('cost', { precision: 12, scale: 6 }),
      inputTokens: pgInteger('input_tokens'),
      outputTokens: pgInteger('output_tokens'),
      cacheReadTokens: pgInteger('cache_read_tokens'),
      cacheWriteTokens: pgInteger('cache_write_tokens'),
      lastActivityAt: pgTimestamp('last_activity_at', { withTimezone: true }),
      opencodeSessionId: pgVarchar('opencode_session_id', { length: 255 }),
      opencodeMessageId: pgVarchar('opencode_message_id', { length: 255 }),
      requests: pgText('requests_json'),
      createdAt: pgTimestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      updatedAt: pgTimestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [
      pgIndex(`${m}_subject_id_index`).on(t.subjectId),
      pgIndex(`${m}_status_last_activity_at_index`).on(t.status, t.lastActivityAt),
    ],
  )
  return { subjects, messages }
}

/**
 * The shipped schema as Drizzle MySQL/MariaDB tables (see {@link pgOpencodeTables}).
 *
 * @example
 * ```ts
 * export const { subjects: opencodeSubjects, messages: opencodeMessages } = mysqlOpencodeTables()
 * ```
 */
export function mysqlOpencodeTables(options: OpencodeTableNames = {}) {
  const { s, m } = names(options)
  const subjects = mysqlTable(s, {
    id: myBigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    title: myText('title'),
    opencodeSessionId: myVarchar('opencode_session_id', { length: 255 }).unique(
      `${s}_opencode_session_id_unique`,
    ),
    createdAt: myTimestamp('created_at').notNull().defaultNow(),
    updatedAt: myTimestamp('updated_at').notNull().defaultNow(),
  })
  const messages = mysqlTable(
    m,
    {
      id: myBigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
      subjectId: myBigint('subject_id', { mode: 'number', unsigned: true })
        .notNull()
        .references(() => subjects.id, { onDelete: 'cascade' }),
      status: myVarchar('status', { length: 16 }).notNull().default('pending'),
      content: myText('content'),
      reasoning: myText('reasoning'),
      parts: myJson('parts_json'),
      toolCalls: myJson('tool_calls_json'),
      cost: myDecimal('cost', { precision: 12, scale: 6 }),
      inputTokens: myInt('input_tokens'),
      outputTokens: myInt('output_tokens'),
      cacheReadTokens: myInt('cache_read_tokens'),
      cacheWriteTokens: myInt('cache_write_tokens'),
      lastActivityAt: myTimestamp('last_activity_at'),
      opencodeSessionId: myVarchar('opencode_session_id', { length: 255 }),
      opencodeMessageId: myVarchar('opencode_message_id', { length: 255 }),
      requests: myLongtext('requests_json'),
      createdAt: myTimestamp('created_at').notNull().defaultNow(),
      updatedAt: myTimestamp('updated_at').notNull().defaultNow(),
    },
    (t) => [
      myIndex(`${m}_subject_id_index`).on(t.subjectId),
      myIndex(`${m}_status_last_activity_at_index`).on(t.status, t.lastActivityAt),
    ],
  )
  return { subjects, messages }
}

/**
 * The shipped schema as Drizzle SQLite tables (see {@link pgOpencodeTables}); timestamps are epoch
 * milliseconds, as knex and MikroORM store them on SQLite.
 *
 * @example
 * ```ts
 * export const { subjects: opencodeSubjects, messages: opencodeMessages } = sqliteOpencodeTables()
 * ```
 */
export function sqliteOpencodeTables(options: OpencodeTableNames = {}) {
  const { s, m } = names(options)
  const now = sql`CURRENT_TIMESTAMP`
  const subjects = sqliteTable(s, {
    id: integer('id').primaryKey({ autoIncrement: true }),
    title: liteText('title'),
    opencodeSessionId: liteText('opencode_session_id').unique(`${s}_opencode_session_id_unique`),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(now),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(now),
  })
  const messages = sqliteTable(
    m,
    {
      id: integer('id').primaryKey({ autoIncrement: true }),
      subjectId: integer('subject_id')
        .notNull()
        .references(() => subjects.id, { onDelete: 'cascade' }),
      status: liteText('status').notNull().default('pending'),
      content: liteText('content'),
      reasoning: liteText('reasoning'),
      parts: liteText('parts_json', { mode: 'json' }),
      toolCalls: liteText('tool_calls_json', { mode: 'json' }),
      cost: real('cost'),
      inputTokens: integer('input_tokens'),
      outputTokens: integer('output_tokens'),
      cacheReadTokens: integer('cache_read_tokens'),
      cacheWriteTokens: integer('cache_write_tokens'),
      lastActivityAt: integer('last_activity_at', { mode: 'timestamp_ms' }),
      opencodeSessionId: liteText('opencode_session_id'),
      opencodeMessageId: liteText('opencode_message_id'),
      requests: liteText('requests_json'),
      createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(now),
      updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull().default(now),
    },
    (t) => [
      liteIndex(`${m}_subject_id_index`).on(t.subjectId),
      liteIndex(`${m}_status_last_activity_at_index`).on(t.status, t.lastActivityAt),
    ],
  )
  return { subjects, messages }
}
