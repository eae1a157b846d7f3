// The core contract suites, run against the Sequelize adapter on each database. Rows are inserted
// with the shipped models and read back with raw SQL, so the suites see what reached the tables.
import type { RowId } from '@opencode-kit/core'
import type { MessageStatus, StoredPart } from '@opencode-kit/core/adapter'
import { describeMessagePort, describeRecordPort } from '@opencode-kit/core/testing/vitest'
import { QueryTypes, type Sequelize } from 'sequelize'
import { createOpencodeTables, defineOpencodeModels, sequelizeAdapter } from '../src/index.js'
import { DATABASES, isolatedDatabase } from './support/isolatedDatabases.js'

const json = (value: unknown): StoredPart[] | null =>
  value === null || value === undefined
    ? null
    : ((typeof value === 'string' ? JSON.parse(value) : value) as StoredPart[])
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value))

async function setup(name: (typeof DATABASES)[number]) {
  const db = await isolatedDatabase(name)
  const sequelize = db.connect()
  await createOpencodeTables(sequelize.getQueryInterface())
  const models = defineOpencodeModels(sequelize, {
    subjectModelName: 'ContractSubject',
    messageModelName: 'ContractMessage',
  })
  const raw = async (table: string, id: RowId) =>
    (
      await sequelize.query<Record<string, unknown>>(`SELECT * FROM ${table} WHERE id = ?`, {
        replacements: [id],
        type: QueryTypes.SELECT,
      })
    )[0]
  return { db, sequelize, models, raw }
}

const adapterFor = (sequelize: Sequelize) => sequelizeAdapter(sequelize)

for (const name of DATABASES) {
  describeRecordPort(`adapter-sequelize on ${name}`, async () => {
    const { db, sequelize, models, raw } = await setup(name)
    return {
      records: adapterFor(sequelize).records,
      raw: {
        insertSubject: async (fields = {}) =>
          (
            await models.Subject.create({
              title: fields.title ?? null,
              opencodeSessionId: fields.opencodeSessionId ?? null,
            })
          ).get('id') as RowId,
        subject: async (id) => {
          const row = await raw('opencode_subjects', id)
          return (
            row && {
              title: row.title as string | null,
              opencodeSessionId: row.opencode_session_id as string | null,
            }
          )
        },
      },
      close: () => db.drop(),
    }
  })

  describeMessagePort(`adapter-sequelize on ${name}`, async () => {
    const { db, sequelize, models, raw } = await setup(name)
    const subjectId = (await models.Subject.create({ title: 'owner' })).get('id') as RowId
    return {
      messages: adapterFor(sequelize).messages,
      raw: {
        insertMessage: async (fields = {}) =>
          (
            await models.Message.create({
              subjectId,
              status: fields.status ?? 'pending',
              content: fields.content ?? null,
            })
          ).get('id') as RowId,
        message: async (id) => {
          const row = await raw('opencode_messages', id)
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
            lastActivityAt: row.last_activity_at === null ? null : new Date(row.last_activity_at as string),
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
