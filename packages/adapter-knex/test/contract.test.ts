// The core contract suites, run against the knex adapter on each database. Raw reads and inserts
// use knex directly, so the suites check what really reached the tables.
import type { RowId } from '@opencode-kit/core'
import type { MessageStatus, StoredPart } from '@opencode-kit/core/adapter'
import { describeMessagePort, describeRecordPort } from '@opencode-kit/core/testing/vitest'
import type { Knex } from 'knex'
import { knexAdapter, opencodeMigrations } from '../src/index.js'
import { DATABASES, isolatedKnex } from './support/isolatedKnex.js'

const json = (value: unknown): StoredPart[] | null =>
  value === null || value === undefined
    ? null
    : ((typeof value === 'string' ? JSON.parse(value) : value) as StoredPart[])
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value))

async function setup(name: (typeof DATABASES)[number]) {
  const db = await isolatedKnex(name)
  await db.knex.migrate.latest({ migrationSource: opencodeMigrations() })
  const insertId = async (knex: Knex, table: string, values: Record<string, unknown>): Promise<RowId> => {
    const query = knex(table).insert(values)
    const [row] = name === 'mariadb' ? await query : await query.returning('id')
    return Number(typeof row === 'object' ? (row as { id: number }).id : row)
  }
  return { db, insertId }
}

for (const name of DATABASES) {
  describeRecordPort(`adapter-knex on ${name}`, async () => {
    const { db, insertId } = await setup(name)
    const { records } = knexAdapter(db.knex)
    return {
      records,
      raw: {
        insertSubject: (fields = {}) =>
          insertId(db.knex, 'opencode_subjects', {
            title: fields.title ?? null,
            opencode_session_id: fields.opencodeSessionId ?? null,
          }),
        subject: async (id) => {
          const row = await db.knex('opencode_subjects').where({ id }).first()
          return row && { title: row.title, opencodeSessionId: row.opencode_session_id }
        },
      },
      close: () => db.drop(),
    }
  })

  describeMessagePort(`adapter-knex on ${name}`, async () => {
    const { db, insertId } = await setup(name)
    const { messages } = knexAdapter(db.knex)
    const subjectId = await insertId(db.knex, 'opencode_subjects', { title: 'owner' })
    return {
      messages,
      raw: {
        insertMessage: (fields = {}) =>
          insertId(db.knex, 'opencode_messages', {
            subject_id: subjectId,
            status: fields.status ?? 'pending',
            content: fields.content ?? null,
          }),
        message: async (id) => {
          const row = await db.knex('opencode_messages').where({ id }).first()
          if (!row) return undefined
          return {
            status: row.status as MessageStatus,
            content: row.content,
            reasoning: row.reasoning,
            parts: json(row.parts_json),
            toolCalls: json(row.tool_calls_json),
            cost: num(row.cost),
            inputTokens: num(row.input_tokens),
            outputTokens: num(row.output_tokens),
            lastActivityAt: row.last_activity_at === null ? null : new Date(row.last_activity_at),
            opencodeSessionId: row.opencode_session_id,
            opencodeMessageId: row.opencode_message_id,
            requests: row.requests_json === null ? null : JSON.parse(row.requests_json),
          }
        },
      },
      close: () => db.drop(),
    }
  })
}
