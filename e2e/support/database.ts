// The databases the end-to-end turns persist into: a SQLite file and a PostgreSQL schema, both
// migrated with the knex adapter's shipped migrations and dropped afterwards.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { knexAdapter, opencodeMigrations } from '@opencode-kit/adapter-knex'
import type { RowId } from '@opencode-kit/core'
import type { MessagePort, RecordPort } from '@opencode-kit/core/adapter'
import knexFactory, { type Knex } from 'knex'
import { postgresUrl } from '../../test-utils/services.js'

const ALL_DATABASES = ['sqlite', 'postgres'] as const
export type E2eDatabase = (typeof ALL_DATABASES)[number]
/** The databases the turn suite runs on: both, or those `E2E_DATABASES` names (the version matrix uses sqlite). */
export const E2E_DATABASES: readonly E2eDatabase[] = process.env.E2E_DATABASES
  ? ALL_DATABASES.filter((name) => process.env.E2E_DATABASES?.split(',').includes(name))
  : ALL_DATABASES

export interface TurnDatabase {
  knex: Knex
  records: RecordPort
  messages: MessagePort
  /** A new subject row (no session yet). */
  insertSubject(title: string): Promise<RowId>
  /** A new pending assistant message of the subject. */
  insertMessage(subjectId: RowId): Promise<RowId>
  drop(): Promise<void>
}

export async function openTurnDatabase(name: E2eDatabase): Promise<TurnDatabase> {
  let knex: Knex
  let cleanup: () => Promise<void>
  if (name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-sqlite-'))
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: join(dir, 'e2e.db') },
      useNullAsDefault: true,
    })
    cleanup = async () => rmSync(dir, { recursive: true, force: true })
  } else {
    const schema = `e2e_${randomBytes(5).toString('hex')}`
    const admin = knexFactory({ client: 'pg', connection: postgresUrl() })
    await admin.raw(`CREATE SCHEMA "${schema}"`)
    knex = knexFactory({ client: 'pg', connection: postgresUrl(), searchPath: [schema] })
    cleanup = async () => {
      await admin.raw(`DROP SCHEMA "${schema}" CASCADE`)
      await admin.destroy()
    }
  }
  await knex.migrate.latest({ migrationSource: opencodeMigrations(), tableName: 'opencode_kit_migrations' })
  const { records, messages } = knexAdapter(knex)
  const insertId = async (table: string, row: Record<string, unknown>): Promise<RowId> => {
    const [inserted] = await knex(table).insert(row).returning('id')
    return typeof inserted === 'object' ? (inserted as { id: RowId }).id : (inserted as RowId)
  }
  return {
    knex,
    records,
    messages,
    insertSubject: (title) => insertId('opencode_subjects', { title }),
    insertMessage: (subjectId) => insertId('opencode_messages', { subject_id: subjectId }),
    drop: async () => {
      await knex.destroy()
      await cleanup()
    },
  }
}
