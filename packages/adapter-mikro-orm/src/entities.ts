import { EntitySchema } from '@mikro-orm/core'

/** A subject row of the shipped schema. */
export interface OpencodeSubjectEntity {
  id: number
  title: string | null
  opencodeSessionId: string | null
  createdAt: Date
  updatedAt: Date
}

/** An assistant message row of the shipped schema. */
export interface OpencodeMessageEntity {
  id: number
  subjectId: number
  status: string
  content: string | null
  reasoning: string | null
  partsJson: unknown[] | null
  toolCallsJson: unknown[] | null
  cost: string | number | null
  inputTokens: number | null
  outputTokens: number | null
  cacheReadTokens: number | null
  cacheWriteTokens: number | null
  lastActivityAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/** Table names of {@link defineOpencodeEntities}. */
export interface OpencodeEntityOptions {
  subjectsTable?: string
  messagesTable?: string
  /** Entity names (change them when the defaults clash with yours). */
  subjectEntity?: string
  messageEntity?: string
}

/**
 * Decorator-free entity definitions (`EntitySchema`) of the shipped schema — add them to your
 * MikroORM config's `entities`. The same tables the knex and Sequelize adapters use.
 *
 * @example
 * ```ts
 * const { OpencodeSubject, OpencodeMessage } = defineOpencodeEntities()
 * const orm = await MikroORM.init({ driver: PostgreSqlDriver, clientUrl, entities: [OpencodeSubject, OpencodeMessage, ...yours] })
 * ```
 */
export function defineOpencodeEntities(options: OpencodeEntityOptions = {}) {
  const subjectEntity = options.subjectEntity ?? 'OpencodeSubject'
  const messageEntity = options.messageEntity ?? 'OpencodeMessage'
  const OpencodeSubject = new EntitySchema<OpencodeSubjectEntity>({
    name: subjectEntity,
    tableName: options.subjectsTable ?? 'opencode_subjects',
    properties: {
      id: { type: 'bigint', primary: true, autoincrement: true },
      title: { type: 'text', nullable: true },
      opencodeSessionId: {
        type: 'string',
        length: 255,
        nullable: true,
        unique: true,
        fieldName: 'opencode_session_id',
      },
      createdAt: { type: 'Date', fieldName: 'created_at', onCreate: () => new Date() },
      updatedAt: {
        type: 'Date',
        fieldName: 'updated_at',
        onCreate: () => new Date(),
        onUpdate: () => new Date(),
      },
    },
  })
  const OpencodeMessage = new EntitySchema<OpencodeMessageEntity>({
    name: messageEntity,
    tableName: options.messagesTable ?? 'opencode_messages',
    properties: {
      id: { type: 'bigint', primary: true, autoincrement: true },
      subjectId: { type: 'bigint', fieldName: 'subject_id' },
      status: { type: 'string', length: 16, default: 'pending' },
      content: { type: 'text', nullable: true },
      reasoning: { type: 'text', nullable: true },
      partsJson: { type: 'json', nullable: true, fieldName: 'parts_json' },
      toolCallsJson: { type: 'json', nullable: true, fieldName: 'tool_calls_json' },
      cost: { type: 'decimal', precision: 12, scale: 6, nullable: true },
      inputTokens: { type: 'integer', nullable: true, fieldName: 'input_tokens' },
      outputTokens: { type: 'integer', nullable: true, fieldName: 'output_tokens' },
      cacheReadTokens: { type: 'integer', nullable: true, fieldName: 'cache_read_tokens' },
      cacheWriteTokens: { type: 'integer', nullable: true, fieldName: 'cache_write_tokens' },
      lastActivityAt: { type: 'Date', nullable: true, fieldName: 'last_activity_at' },
      createdAt: { type: 'Date', fieldName: 'created_at', onCreate: () => new Date() },
      updatedAt: {
        type: 'Date',
        fieldName: 'updated_at',
        onCreate: () => new Date(),
        onUpdate: () => new Date(),
      },
    },
  })
  return { OpencodeSubject, OpencodeMessage }
}
