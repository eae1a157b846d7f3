import type { Knex } from 'knex'
import { KnexMessagePort } from './KnexMessagePort.js'
import { KnexRecordPort } from './KnexRecordPort.js'
import { type KnexAdapterOptions, resolveNames } from './options.js'

/** The two ports {@link knexAdapter} builds. */
export interface KnexAdapter {
  records: KnexRecordPort
  messages: KnexMessagePort
}

const SQLITE_CLIENTS = new Set(['better-sqlite3', 'sqlite3', 'sqlite'])

/**
 * Build `RecordPort` and `MessagePort` on a knex instance (PostgreSQL `pg`, MySQL/MariaDB `mysql2`,
 * SQLite `better-sqlite3`), mapped onto the shipped tables or onto your own.
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
  const names = resolveNames(options)
  const client = String(knex.client.config.client ?? knex.client.dialect ?? '')
  const sqlite = SQLITE_CLIENTS.has(client) || knex.client.dialect === 'sqlite3'
  const busy = sqlite ? (options.sqlite?.busyTimeoutMs ?? 15_000) : null
  return {
    records: new KnexRecordPort(knex, names.subjects, busy),
    messages: new KnexMessagePort(knex, names.messages),
  }
}
