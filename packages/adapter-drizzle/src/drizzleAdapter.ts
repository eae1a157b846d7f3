import type { RowId } from '@opencode-kit/core'
import type { MessagePort, RecordPort } from '@opencode-kit/core/adapter'
import {
  type AdapterOptions,
  type Condition,
  createMessagePort,
  createRecordPort,
  type MessageStatements,
  mapColumns,
  resolveAdapterOptions,
  serializeSqliteWrites,
} from '@opencode-kit/core/adapter'
import {
  and,
  asc,
  type Column,
  eq,
  getTableColumns,
  getTableName,
  is,
  isNotNull,
  isNull,
  lt,
  type SQL,
  sql,
  type Table,
} from 'drizzle-orm'
import { MySqlDatabase } from 'drizzle-orm/mysql-core'
import { PgDatabase } from 'drizzle-orm/pg-core'
import { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import { mysqlOpencodeTables, pgOpencodeTables, sqliteOpencodeTables } from './opencodeTables.js'

// biome-ignore lint/suspicious/noExplicitAny: a database of any driver and schema (node-postgres, mysql2, better-sqlite3…)
type Any = any

/** A Drizzle database on PostgreSQL, MySQL/MariaDB or SQLite. */
export type DrizzleDatabase =
  | PgDatabase<Any, Any, Any>
  | MySqlDatabase<Any, Any, Any, Any>
  | BaseSQLiteDatabase<Any, Any, Any, Any>

/** Where one kind of row lives: your Drizzle table (or the shipped one by name) and its columns. */
export interface DrizzleTableOptions<Columns> {
  /** Your Drizzle table object, or the name of the shipped table. Default: the shipped table. */
  table?: Table | string
  /** Database column names by field; left-out fields keep the shipped schema's names. */
  columns?: Partial<Columns>
}

/** Options of {@link drizzleAdapter}: the kit's `AdapterOptions`, with Drizzle table objects allowed. */
export interface DrizzleAdapterOptions extends Omit<AdapterOptions, 'subjects' | 'messages'> {
  subjects?: DrizzleTableOptions<NonNullable<NonNullable<AdapterOptions['subjects']>['columns']>>
  messages?: DrizzleTableOptions<NonNullable<NonNullable<AdapterOptions['messages']>['columns']>>
}

/** The two ports {@link drizzleAdapter} builds. */
export interface DrizzleAdapter {
  records: RecordPort
  messages: MessagePort
}

type Dialect = 'pg' | 'mysql' | 'sqlite'
type Row = Record<string, unknown>
// The three dialects' builders share their shape; one loose view keeps the statements dialect-free.
type Loose = {
  select(fields?: Row): Any
  update(table: Table): Any
  transaction<T>(fn: (tx: Loose) => Promise<T>): Promise<T>
  run(query: SQL): Any
}

function dialectOf(db: DrizzleDatabase): Dialect {
  if (is(db, PgDatabase)) return 'pg'
  if (is(db, MySqlDatabase)) return 'mysql'
  if (is(db, BaseSQLiteDatabase)) return 'sqlite'
  throw new TypeError('drizzleAdapter: expected a Drizzle database on PostgreSQL, MySQL/MariaDB or SQLite')
}

/** Rows an UPDATE matched: node-postgres `rowCount`, mysql2 `[{ affectedRows }]`, better-sqlite3 `changes`. */
function affected(result: unknown): number {
  const r = (Array.isArray(result) ? result[0] : result) as
    | { rowCount?: number; affectedRows?: number; changes?: number; rowsAffected?: number }
    | undefined
  return r?.rowCount ?? r?.affectedRows ?? r?.changes ?? r?.rowsAffected ?? 0
}

/**
 * `RecordPort` and `MessagePort` on Drizzle ORM (node-postgres, mysql2, better-sqlite3), on the
 * shipped tables ({@link pgOpencodeTables} and friends) or on your own table objects. `withLock`
 * is a transaction reading the row with `.for('update')`; on SQLite (whose better-sqlite3
 * transactions cannot await) it is `BEGIN IMMEDIATE … COMMIT` on the connection, and every port
 * write of this process queues behind it, so a rollback never takes another turn's write with it.
 * Every compare-and-set is one conditional UPDATE whose affected-row count is the answer.
 *
 * @example
 * ```ts
 * import { drizzle } from 'drizzle-orm/node-postgres'
 * import { drizzleAdapter } from '@opencode-kit/adapter-drizzle'
 * import { opencodeMessages, opencodeSubjects } from './db/schema'
 *
 * const db = drizzle(process.env.DATABASE_URL!)
 * const { records, messages } = drizzleAdapter(db, {
 *   subjects: { table: opencodeSubjects },
 *   messages: { table: opencodeMessages },
 * })
 * ```
 */
export function drizzleAdapter(db: DrizzleDatabase, options: DrizzleAdapterOptions = {}): DrizzleAdapter {
  const dialect = dialectOf(db)
  const stringName = (table: Table | string | undefined) => (typeof table === 'string' ? table : undefined)
  const resolved = resolveAdapterOptions({
    subjects: { table: stringName(options.subjects?.table), columns: options.subjects?.columns },
    messages: { table: stringName(options.messages?.table), columns: options.messages?.columns },
    sqlite: options.sqlite,
  })
  const shipped = { pg: pgOpencodeTables, mysql: mysqlOpencodeTables, sqlite: sqliteOpencodeTables }[dialect](
    {
      subjectsTable: resolved.subjects.table,
      messagesTable: resolved.messages.table,
    },
  )
  const subjectsTable =
    typeof options.subjects?.table === 'object' ? options.subjects.table : shipped.subjects
  const messagesTable =
    typeof options.messages?.table === 'object' ? options.messages.table : shipped.messages
  const keysOf = (table: Table) => {
    const byName = new Map<string, string>()
    for (const [key, column] of Object.entries(getTableColumns(table))) byName.set(column.name, key)
    return (name: string) => byName.get(name)
  }
  const s = mapColumns(
    resolved.subjects.columns,
    keysOf(subjectsTable),
    `table ${getTableName(subjectsTable)}`,
  )
  const m = mapColumns(
    resolved.messages.columns,
    keysOf(messagesTable),
    `table ${getTableName(messagesTable)}`,
  )
  const sColumns = getTableColumns(subjectsTable) as Record<string, Column>
  const mColumns = getTableColumns(messagesTable) as Record<string, Column>
  const loose = db as unknown as Loose
  const owner = dialect === 'sqlite' ? (((db as { $client?: object }).$client ?? db) as object) : null
  const queued = <T>(fn: () => Promise<T>) => (owner ? serializeSqliteWrites(owner, fn) : fn())

  const condition = (c: Condition): SQL => {
    const column = mColumns[c.field] as Column
    if (c.op === 'eq') return eq(column, c.value)
    if (c.op === 'null') return isNull(column)
    if (c.op === 'notNull') return isNotNull(column)
    if (c.op === 'lt') return lt(column, c.value)
    // MySQL compares text case-insensitively: compare the bytes there.
    return dialect === 'mysql' ? sql`binary ${column} = ${c.value}` : eq(column, c.value)
  }
  const messageId = (id: RowId) => eq(mColumns[m.id] as Column, id)
  const subjectId = (id: RowId) => eq(sColumns[s.id] as Column, id)
  const first = async (query: Promise<Row[]>) => (await query)[0]

  const statements: MessageStatements = {
    find: (id) => first(loose.select().from(messagesTable).where(messageId(id)).limit(1)),
    update: (id, values, where) =>
      queued(async () =>
        affected(
          await loose
            .update(messagesTable)
            .set(values)
            .where(and(messageId(id), ...where.map(condition))),
        ),
      ),
    list: async (where, orderBy, limit) => {
      const rows: Row[] = await loose
        .select({ id: mColumns[m.id] as Column })
        .from(messagesTable)
        .where(and(...where.map(condition)))
        .orderBy(...orderBy.map((key) => asc(mColumns[key] as Column)))
        .limit(limit)
      return rows.map((row) => row.id)
    },
  }

  const records = createRecordPort<Loose>({
    names: s,
    sqliteOwner: owner,
    statements: {
      find: (id) => first(loose.select().from(subjectsTable).where(subjectId(id)).limit(1)),
      locked: async (id, fn) => {
        if (dialect !== 'sqlite') {
          return loose.transaction(async (tx) =>
            fn(await first(tx.select().from(subjectsTable).where(subjectId(id)).for('update')), tx),
          )
        }
        // better-sqlite3's transactions are synchronous: hold the write lock by hand across `fn`.
        await loose.run(sql.raw(`PRAGMA busy_timeout = ${Math.trunc(resolved.sqlite.busyTimeoutMs)}`))
        await loose.run(sql`BEGIN IMMEDIATE`)
        try {
          const result = await fn(await first(loose.select().from(subjectsTable).where(subjectId(id))), loose)
          await loose.run(sql`COMMIT`)
          return result
        } catch (error) {
          await loose.run(sql`ROLLBACK`)
          throw error
        }
      },
      update: (id, values, tx) =>
        tx
          ? tx.update(subjectsTable).set(values).where(subjectId(id))
          : queued(() => loose.update(subjectsTable).set(values).where(subjectId(id))),
    },
  })

  const messages = createMessagePort({
    names: m,
    statements,
    jsonAsText: (key) => mColumns[key]?.dataType !== 'json',
  })
  return { records, messages }
}
