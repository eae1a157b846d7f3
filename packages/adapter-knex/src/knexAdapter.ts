import type { RowId } from '@opencode-kit/core'
import type { MessagePort, RecordPort } from '@opencode-kit/core/adapter'
import {
  type AdapterOptions,
  type Condition,
  createMessagePort,
  createRecordPort,
  resolveAdapterOptions,
} from '@opencode-kit/core/adapter'
import type { Knex } from 'knex'

/** The two ports {@link knexAdapter} builds. */
export interface KnexAdapter {
  records: RecordPort
  messages: MessagePort
}

/** Options of {@link knexAdapter}: tables, their columns and SQLite tuning, as in every adapter. */
export type KnexAdapterOptions = AdapterOptions

const SQLITE_CLIENTS = new Set(['better-sqlite3', 'sqlite3', 'sqlite'])

/** `query` narrowed by each condition; MySQL compares text case-insensitively, so `text` compares bytes there. */
function where(query: Knex.QueryBuilder, conditions: Condition[], mysql: boolean): Knex.QueryBuilder {
  for (const c of conditions) {
    if (c.op === 'eq') query.where(c.field, c.value as Knex.Value)
    else if (c.op === 'null') query.whereNull(c.field)
    else if (c.op === 'notNull') query.whereNotNull(c.field)
    else if (c.op === 'lt') query.where(c.field, '<', c.value)
    else if (c.op === 'text' && mysql) query.whereRaw('?? = binary ?', [c.field, c.value])
    else if (c.op === 'text') query.where(c.field, c.value)
  }
  return query
}

/**
 * Build `RecordPort` and `MessagePort` on a knex instance (PostgreSQL `pg`, MySQL/MariaDB `mysql2`,
 * SQLite `better-sqlite3`), mapped onto the shipped tables or onto your own. `withLock` is
 * `knex.transaction` re-reading the row `FOR UPDATE`; SQLite has no row locks and knex opens its
 * transactions with a deferred `BEGIN`, so there the first statement is a no-op write that takes the
 * database write lock (waiting up to the busy timeout for another process), and lock callers of one
 * process queue. Every compare-and-set is one conditional `UPDATE` whose count is the answer. JSON
 * columns are written as JSON text (portable to `json` and `text` columns).
 *
 * @example
 * ```ts
 * import knexFactory from 'knex'
 * import { knexAdapter } from '@opencode-kit/adapter-knex'
 *
 * const knex = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL })
 * const { records, messages } = knexAdapter(knex, {
 *   subjects: { table: 'conversations', columns: { opencodeSessionId: 'agent_session_id' } },
 * })
 * ```
 */
export function knexAdapter(knex: Knex, options: KnexAdapterOptions = {}): KnexAdapter {
  const { subjects, messages, sqlite } = resolveAdapterOptions(options)
  const client = String(knex.client.config.client ?? knex.client.dialect ?? '')
  const onSqlite = SQLITE_CLIENTS.has(client) || knex.client.dialect === 'sqlite3'
  const mysql = /mysql/.test(client)
  const s = subjects.columns
  const m = messages.columns
  const subjectRow = (db: Knex | Knex.Transaction, id: RowId) => db(subjects.table).where(s.id, id)
  const messageRow = (id: RowId) => knex(messages.table).where(m.id, id)

  const records = createRecordPort<Knex.Transaction>({
    names: s,
    sqliteOwner: onSqlite ? knex : null,
    statements: {
      find: (id) => subjectRow(knex, id).first(),
      locked: (id, fn) =>
        knex.transaction(async (trx) => {
          if (!onSqlite) return fn(await subjectRow(trx, id).forUpdate().first(), trx)
          await trx.raw(`PRAGMA busy_timeout = ${Math.trunc(sqlite.busyTimeoutMs)}`)
          // A write as first statement upgrades the deferred BEGIN to the database write lock.
          await subjectRow(trx, id).update({ [s.id]: trx.ref(s.id) })
          return fn(await subjectRow(trx, id).first(), trx)
        }),
      update: (id, values, trx) => subjectRow(trx ?? knex, id).update(values),
    },
  })

  const messagesPort = createMessagePort({
    names: m,
    // knex writes JSON as text everywhere (PostgreSQL json/jsonb columns accept it).
    jsonAsText: () => true,
    statements: {
      find: (id) => messageRow(id).first(),
      update: (id, values, conditions) => where(messageRow(id), conditions, mysql).update(values),
      list: (conditions, orderBy, limit) =>
        where(knex(messages.table), conditions, mysql).orderBy(orderBy).limit(limit).pluck(m.id),
    },
  })
  return { records, messages: messagesPort }
}
