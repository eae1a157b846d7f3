// The core contract suites against the MikroORM adapter on each database. Raw reads and inserts use
// SQL on the connection directly, so the suites check what really reached the tables.
import type { MessageStatus, StoredPart } from '@opencode-kit/core/adapter'
import { describeMessagePort, describeRecordPort } from '@opencode-kit/core/testing/vitest'
import { mikroOrmAdapter } from '../src/index.js'
import { DATABASES, isolatedOrm } from './support/isolatedOrm.js'

const json = (value: unknown): StoredPart[] | null =>
  value === null || value === undefined
    ? null
    : ((typeof value === 'string' ? JSON.parse(value) : value) as StoredPart[])
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value))

for (const name of DATABASES) {
  describeRecordPort(`adapter-mikro-orm on ${name}`, async () => {
    const db = await isolatedOrm(name)
    const { records } = mikroOrmAdapter(db.orm)
    return {
      records,
      raw: {
        insertSubject: (fields = {}) =>
          db.insert('opencode_subjects', {
            title: fields.title ?? null,
            opencode_session_id: fields.opencodeSessionId ?? null,
          }),
        subject: async (id) => {
          const [row] = await db.sql<{ title: string | null; opencode_session_id: string | null }>(
            'select title, opencode_session_id from opencode_subjects where id = ?',
            [id],
          )
          return row && { title: row.title, opencodeSessionId: row.opencode_session_id }
        },
      },
      close: () => db.drop(),
    }
  })

  describeMessagePort(`adapter-mikro-orm on ${name}`, async () => {
    const db = await isolatedOrm(name)
    const { messages } = mikroOrmAdapter(db.orm)
    const subjectId = await db.insert('opencode_subjects', { title: 'owner' })
    return {
      messages,
      raw: {
        insertMessage: (fields = {}) =>
          db.insert('opencode_messages', {
            subject_id: subjectId,
            status: fields.status ?? 'pending',
            content: fields.content ?? null,
          }),
        message: async (id) => {
          const [row] = await db.sql<Record<string, unknown>>(
            'select * from opencode_messages where id = ?',
            [id],
          )
          if (!row) return undefined
          return {
            status: row.status as MessageStatus,
            content: row.content as string | null,
            reasoning: row.reasoning as string | null,
            parts: json(row.parts_json),
            toolCalls: json(row.tool_calls_json),
            cost: num(row.cost),
            inputTokens: num(row.input_tokens),
            outputTokens: num(row.output_tokens),
            lastActivityAt:
              row.last_activity_at === null || row.last_activity_at === undefined
                ? null
                : new Date(row.last_activity_at as string),
            opencodeSessionId: row.opencode_session_id as string | null,
            opencodeMessageId: row.opencode_message_id as string | null,
            requests: row.requests_json === null ? null : JSON.parse(row.requests_json as string),
          }
        },
      },
      close: () => db.drop(),
    }
  })
}
