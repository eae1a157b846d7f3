import {
  BigIntType,
  type EntityProperty,
  EntitySchema,
  type Opt,
  type Platform,
  TextType,
} from '@mikro-orm/core'

/** JSON text of any size: `longtext` on MySQL/MariaDB (whose `text` stops at 64 KiB), `text` elsewhere. */
class LongTextType extends TextType {
  override getColumnType(prop: EntityProperty, platform: Platform): string {
    return /mysql|maria/i.test(platform.constructor.name) ? 'longtext' : super.getColumnType(prop, platform)
  }
}

/**
 * A subject row of the shipped schema, as {@link OpencodeSubjectSchema} hydrates it.
 *
 * @example
 * ```ts
 * const subject: OpencodeSubjectEntity = await orm.em.fork().findOneOrFail(OpencodeSubjectSchema, { id })
 * subject.opencodeSessionId // 'ses_…' once a turn created the session
 * ```
 */
export interface OpencodeSubjectEntity {
  id: number
  title: string | null
  opencodeSessionId: string | null
  /** Set by the database or on create: optional in `em.create`. */
  createdAt: Opt<Date>
  updatedAt: Opt<Date>
}

/**
 * An assistant message row of the shipped schema, as {@link OpencodeMessageSchema} hydrates it (`cost`
 * is a DECIMAL property, hydrated as a string; `messages.load` gives a number).
 *
 * @example
 * ```ts
 * const reply: OpencodeMessageEntity = await orm.em.fork().findOneOrFail(OpencodeMessageSchema, { id })
 * if (reply.status === 'completed') render(reply.content, reply.parts)
 * ```
 */
export interface OpencodeMessageEntity {
  id: number
  subjectId: number
  /** Defaults to `'pending'`. */
  status: Opt<string>
  content: string | null
  reasoning: string | null
  parts: unknown[] | null
  toolCalls: unknown[] | null
  cost: string | number | null
  inputTokens: number | null
  outputTokens: number | null
  cacheReadTokens: number | null
  cacheWriteTokens: number | null
  lastActivityAt: Date | null
  /** The upstream session the turn prompted in (written by `messages.claimPrompt`). */
  opencodeSessionId: string | null
  /** The upstream user message id (written by `messages.claimPrompt`). */
  opencodeMessageId: string | null
  /** JSON text of the turn's permission and question requests (`messages.load` parses it). */
  requests: string | null
  /** Set by the database or on create: optional in `em.create`. */
  createdAt: Opt<Date>
  updatedAt: Opt<Date>
}

/**
 * Table and entity names of {@link defineOpencodeEntities}.
 *
 * @example
 * ```ts
 * const options: OpencodeEntityOptions = { subjectsTable: 'ai_threads', messagesTable: 'ai_replies' }
 * const { OpencodeSubjectSchema, OpencodeMessageSchema } = defineOpencodeEntities(options)
 * ```
 */
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
 * const { OpencodeSubjectSchema, OpencodeMessageSchema } = defineOpencodeEntities()
 * const orm = await MikroORM.init({ driver: PostgreSqlDriver, clientUrl, entities: [OpencodeSubjectSchema, OpencodeMessageSchema, ...yours] })
 * ```
 */
export function defineOpencodeEntities(options: OpencodeEntityOptions = {}) {
  const subjectEntity = options.subjectEntity ?? 'OpencodeSubject'
  const messageEntity = options.messageEntity ?? 'OpencodeMessage'
  const subjectsTable = options.subjectsTable ?? 'opencode_subjects'
  const messagesTable = options.messagesTable ?? 'opencode_messages'
  // Column types, defaults and constraint names mirror opencodeDdl() (and the knex migration), so
  // MikroORM's schema diff finds nothing to change in tables created by any of the three adapters.
  const id = { type: new BigIntType('number'), primary: true, autoincrement: true } as const
  const timestamp = {
    type: 'Date',
    columnType: 'timestamp',
    defaultRaw: 'CURRENT_TIMESTAMP',
    onCreate: () => new Date(),
  } as const
  const OpencodeSubjectSchema = new EntitySchema<OpencodeSubjectEntity>({
    name: subjectEntity,
    tableName: subjectsTable,
    properties: {
      id,
      title: { type: 'text', nullable: true },
      opencodeSessionId: {
        type: 'string',
        length: 255,
        nullable: true,
        fieldName: 'opencode_session_id',
      },
      createdAt: { ...timestamp, fieldName: 'created_at' },
      updatedAt: { ...timestamp, fieldName: 'updated_at', onUpdate: () => new Date() },
    },
    uniques: [{ name: `${subjectsTable}_opencode_session_id_unique`, properties: ['opencodeSessionId'] }],
  })
  const OpencodeMessageSchema = new EntitySchema<OpencodeMessageEntity>({
    name: messageEntity,
    tableName: messagesTable,
    properties: {
      id,
      subjectId: {
        kind: 'm:1',
        entity: subjectEntity,
        mapToPk: true,
        fieldName: 'subject_id',
        deleteRule: 'cascade',
        updateRule: 'no action',
        index: `${messagesTable}_subject_id_index`,
      },
      status: { type: 'string', length: 16, default: 'pending' },
      content: { type: 'text', nullable: true },
      reasoning: { type: 'text', nullable: true },
      parts: { type: 'json', nullable: true, fieldName: 'parts_json' },
      toolCalls: { type: 'json', nullable: true, fieldName: 'tool_calls_json' },
      cost: { type: 'decimal', precision: 12, scale: 6, nullable: true },
      inputTokens: { type: 'integer', nullable: true, fieldName: 'input_tokens' },
      outputTokens: { type: 'integer', nullable: true, fieldName: 'output_tokens' },
      cacheReadTokens: { type: 'integer', nullable: true, fieldName: 'cache_read_tokens' },
      cacheWriteTokens: { type: 'integer', nullable: true, fieldName: 'cache_write_tokens' },
      lastActivityAt: {
        type: 'Date',
        columnType: 'timestamp',
        nullable: true,
        fieldName: 'last_activity_at',
      },
      opencodeSessionId: { type: 'string', length: 255, nullable: true, fieldName: 'opencode_session_id' },
      opencodeMessageId: { type: 'string', length: 255, nullable: true, fieldName: 'opencode_message_id' },
      requests: { type: LongTextType, nullable: true, fieldName: 'requests_json' },
      createdAt: { ...timestamp, fieldName: 'created_at' },
      updatedAt: { ...timestamp, fieldName: 'updated_at', onUpdate: () => new Date() },
    },
    indexes: [
      { name: `${messagesTable}_status_last_activity_at_index`, properties: ['status', 'lastActivityAt'] },
    ],
  })
  return { OpencodeSubjectSchema, OpencodeMessageSchema }
}

const shipped = defineOpencodeEntities()

/**
 * The shipped `opencode_subjects` table as a decorator-free entity (`EntitySchema`, entity name
 * `OpencodeSubject`). Register it with {@link OpencodeMessageSchema}; for other table or entity names use
 * {@link defineOpencodeEntities}.
 *
 * @example
 * ```ts
 * const orm = await MikroORM.init({ driver: BetterSqliteDriver, dbName: 'app.db', entities: [OpencodeSubjectSchema, OpencodeMessageSchema] })
 * const em = orm.em.fork()
 * const subject = em.create(OpencodeSubjectSchema, { title: 'Trip to Lisbon' })
 * await em.flush()
 * ```
 */
export const OpencodeSubjectSchema: EntitySchema<OpencodeSubjectEntity> = shipped.OpencodeSubjectSchema

/**
 * The shipped `opencode_messages` table as a decorator-free entity (`EntitySchema`, entity name
 * `OpencodeMessage`). `parts`/`toolCalls` are `json` properties (JSON text in the column,
 * arrays in JS), the same rows the knex and Sequelize adapters write.
 *
 * @example
 * ```ts
 * const em = orm.em.fork()
 * const reply = em.create(OpencodeMessageSchema, { subjectId: subject.id, status: 'pending' })
 * await em.flush() // then run a Turn on reply.id
 * ```
 */
export const OpencodeMessageSchema: EntitySchema<OpencodeMessageEntity> = shipped.OpencodeMessageSchema
