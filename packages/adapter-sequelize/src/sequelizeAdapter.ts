import type { MessagePort, RecordPort } from '@opencode-kit/core/adapter'
import {
  type DataType,
  DataTypes,
  type Model,
  type ModelAttributes,
  type ModelStatic,
  type Sequelize,
} from 'sequelize'
import type {
  MessageMapping,
  MessageNames,
  SequelizeAdapterOptions,
  SubjectMapping,
  SubjectNames,
} from './options.js'
import { SequelizeMessagePort } from './SequelizeMessagePort.js'
import { SequelizeRecordPort } from './SequelizeRecordPort.js'
import { SqliteWriteLock } from './SqliteWriteLock.js'

/** The ports {@link sequelizeAdapter} returns. */
export interface SequelizeAdapter {
  records: RecordPort
  messages: MessagePort
}

const SUBJECT_ATTRIBUTES: SubjectNames = { id: 'id', title: 'title', opencodeSessionId: 'opencodeSessionId' }
const SUBJECT_COLUMNS: SubjectNames = { id: 'id', title: 'title', opencodeSessionId: 'opencode_session_id' }
const MESSAGE_ATTRIBUTES: MessageNames = {
  id: 'id',
  status: 'status',
  content: 'content',
  reasoning: 'reasoning',
  parts: 'parts',
  toolCalls: 'toolCalls',
  cost: 'cost',
  inputTokens: 'inputTokens',
  outputTokens: 'outputTokens',
  cacheReadTokens: 'cacheReadTokens',
  cacheWriteTokens: 'cacheWriteTokens',
  lastActivityAt: 'lastActivityAt',
  opencodeSessionId: 'opencodeSessionId',
  opencodeMessageId: 'opencodeMessageId',
  requests: 'requests',
}
const MESSAGE_COLUMNS: MessageNames = {
  id: 'id',
  status: 'status',
  content: 'content',
  reasoning: 'reasoning',
  parts: 'parts_json',
  toolCalls: 'tool_calls_json',
  cost: 'cost',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cacheReadTokens: 'cache_read_tokens',
  cacheWriteTokens: 'cache_write_tokens',
  lastActivityAt: 'last_activity_at',
  opencodeSessionId: 'opencode_session_id',
  opencodeMessageId: 'opencode_message_id',
  requests: 'requests_json',
}

let privateModels = 0

/**
 * The Sequelize v6 implementation of the core's {@link RecordPort} and {@link MessagePort}, on your
 * own models (pass `model` and its `attributes`), on a table (`table` and its `columns`, for which a
 * private model is defined), or on the shipped schema (no options; see {@link opencodeMigration}).
 * Works on PostgreSQL (`pg`), MySQL/MariaDB (`mysql` dialect with `mysql2`) and SQLite (`sqlite3`).
 *
 * @example
 * ```ts
 * import { Sequelize } from 'sequelize'
 * import { sequelizeAdapter, defineOpencodeModels } from '@opencode-kit/adapter-sequelize'
 *
 * const sequelize = new Sequelize(process.env.DATABASE_URL!)
 * const { Subject, Message } = defineOpencodeModels(sequelize)
 * const { records, messages } = sequelizeAdapter(sequelize, {
 *   subjects: { model: Subject },
 *   messages: { model: Message },
 * })
 * // Your own model with other attribute names:
 * sequelizeAdapter(sequelize, {
 *   subjects: { model: Conversation, attributes: { opencodeSessionId: 'agentSessionId' } },
 *   messages: { model: ChatMessage, attributes: { content: 'body' } },
 * })
 * ```
 */
export function sequelizeAdapter(
  sequelize: Sequelize,
  options: SequelizeAdapterOptions = {},
): SequelizeAdapter {
  if (sequelize.getDialect() === 'sqlite')
    SqliteWriteLock.install(sequelize, options.sqliteBusyTimeoutMs ?? 30_000)
  const subjects = subjectModel(sequelize, options.subjects ?? {})
  const messages = messageModel(sequelize, options.messages ?? {})
  return {
    records: new SequelizeRecordPort(sequelize, subjects.model, subjects.names),
    messages: new SequelizeMessagePort(sequelize, messages.model, messages.names),
  }
}

function subjectModel(
  sequelize: Sequelize,
  mapping: SubjectMapping,
): { model: ModelStatic<Model>; names: SubjectNames } {
  if (mapping.model) return { model: mapping.model, names: { ...SUBJECT_ATTRIBUTES, ...mapping.attributes } }
  const columns = { ...SUBJECT_COLUMNS, ...mapping.columns }
  const model = sequelize.define(
    `opencodeKitSubject${++privateModels}`,
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true, field: columns.id },
      title: { type: DataTypes.TEXT, field: columns.title },
      opencodeSessionId: { type: DataTypes.STRING(255), field: columns.opencodeSessionId },
    },
    { tableName: mapping.table ?? 'opencode_subjects', timestamps: false },
  )
  return { model, names: SUBJECT_ATTRIBUTES }
}

function messageModel(
  sequelize: Sequelize,
  mapping: MessageMapping,
): { model: ModelStatic<Model>; names: MessageNames } {
  if (mapping.model) return { model: mapping.model, names: { ...MESSAGE_ATTRIBUTES, ...mapping.attributes } }
  const c = { ...MESSAGE_COLUMNS, ...mapping.columns }
  const updatedAt = mapping.updatedAtColumn ?? (mapping.table === undefined ? 'updated_at' : false)
  const types: Record<keyof MessageNames, DataType> = {
    id: DataTypes.INTEGER,
    status: DataTypes.STRING(16),
    content: DataTypes.TEXT,
    reasoning: DataTypes.TEXT,
    // Declared JSON so values are serialized; text columns work too (read back as text, parsed).
    parts: DataTypes.JSON,
    toolCalls: DataTypes.JSON,
    cost: DataTypes.DOUBLE,
    inputTokens: DataTypes.INTEGER,
    outputTokens: DataTypes.INTEGER,
    cacheReadTokens: DataTypes.INTEGER,
    cacheWriteTokens: DataTypes.INTEGER,
    lastActivityAt: DataTypes.DATE,
    opencodeSessionId: DataTypes.STRING(255),
    opencodeMessageId: DataTypes.STRING(255),
    // Text, not JSON: updateRequests compares the JSON text it wrote.
    requests: DataTypes.TEXT,
  }
  const attributes: ModelAttributes = {}
  const names = { ...MESSAGE_ATTRIBUTES }
  for (const key of Object.keys(types) as Array<keyof MessageNames>) {
    const field = c[key]
    if (field === null) {
      // No such column in the user's table: reads give null, writes are dropped.
      if (key !== 'id' && key !== 'status' && key !== 'content') names[key] = null
      continue
    }
    attributes[key] =
      key === 'id'
        ? { type: types.id, primaryKey: true, autoIncrement: true, field }
        : { type: types[key], field }
  }
  const model = sequelize.define(
    `opencodeKitMessage${++privateModels}`,
    attributes,
    updatedAt === false
      ? { tableName: mapping.table ?? 'opencode_messages', timestamps: false }
      : { tableName: mapping.table ?? 'opencode_messages', timestamps: true, createdAt: false, updatedAt },
  )
  return { model, names }
}
