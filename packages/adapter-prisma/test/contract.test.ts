// The core contract suites against the Prisma adapter on each database. Raw inserts and reads use
// knex directly, so the suites check what really reached the tables (created by adapter-knex's
// migration: the shipped Prisma models must match the shipped schema).
import type { MessageStatus, StoredPart } from '@opencode-kit/core/adapter'
import { describeMessagePort, describeRecordPort } from '@opencode-kit/core/testing/vitest'
import { prismaAdapter } from '../src/index.js'
import { DATABASES, isolatedPrisma } from './support/isolatedPrisma.js'

const json = (value: unknown): StoredPart[] | null =>
  value === null || value === undefined
    ? null
    : ((typeof value === 'string' ? JSON.parse(value) : value) as StoredPart[])
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value))

for (const name of DATABASES) {
  describeRecordPort(`adapter-prisma on ${name}`, async () => {
    const db = await isolatedPrisma(name)
    const { records } = prismaAdapter(db.prisma)
    return {
      records,
      raw: {
        insertSubject: (fields = {}) =>
          db.insert('opencode_subjects', {
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

  describeMessagePort(`adapter-prisma on ${name}`, async () => {
    const db = await isolatedPrisma(name)
    const { messages } = prismaAdapter(db.prisma)
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
