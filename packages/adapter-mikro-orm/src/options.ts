import {
  type EntityManager,
  type EntityMetadata,
  type EntityProperty,
  JsonType,
  type MikroORM,
} from '@mikro-orm/core'
import { InvalidArgumentError } from '@opencode-kit/core'

/** Column names of the subjects table, by port field (as in `@opencode-kit/adapter-knex`). */
export interface SubjectColumns {
  id?: string
  title?: string
  opencodeSessionId?: string
}

/**
 * Column names of the messages table, by port field (as in `@opencode-kit/adapter-knex`). Optional
 * fields may be `null` when the table has no such column: writes to it are skipped and reads
 * answer null.
 */
export interface MessageColumns {
  id?: string
  status?: string
  content?: string
  reasoning?: string | null
  parts?: string | null
  toolCalls?: string | null
  cost?: string | null
  inputTokens?: string | null
  outputTokens?: string | null
  cacheReadTokens?: string | null
  cacheWriteTokens?: string | null
  lastActivityAt?: string | null
  opencodeSessionId?: string | null
  opencodeMessageId?: string | null
  /** A text column/property (JSON text; `updateRequests` compares it). */
  requests?: string | null
  /** Bumped by terminal transitions and `update` (never by `snapshot`/`touchActivity`); null to skip. */
  updatedAt?: string | null
}

/** Property names of the subject entity, by port field (an alternative to {@link SubjectColumns}). */
export type SubjectProperties = SubjectColumns

/** Property names of the message entity, by port field (an alternative to {@link MessageColumns}). */
export type MessageProperties = MessageColumns

/** Where the subjects live: a table (and its columns) or an entity (and its properties). */
export interface SubjectMapping {
  /** Table name; the entity registered for it is used. Default `opencode_subjects`. */
  table?: string
  /** Column names by port field; default the shipped schema's. */
  columns?: SubjectColumns
  /** Entity name, instead of `table` (e.g. two entities on one table). */
  entity?: string
  /** Property names by port field, instead of `columns`. */
  properties?: SubjectProperties
}

/** Where the messages live: a table (and its columns) or an entity (and its properties). */
export interface MessageMapping {
  /** Table name; the entity registered for it is used. Default `opencode_messages`. */
  table?: string
  /** Column names by port field; default the shipped schema's. */
  columns?: MessageColumns
  /** Entity name, instead of `table`. */
  entity?: string
  /** Property names by port field, instead of `columns`. */
  properties?: MessageProperties
}

/**
 * Options of {@link mikroOrmAdapter}: which tables and columns hold the subjects and messages —
 * the same shape as `knexAdapter`'s. Each table must have an entity registered in the ORM (the
 * shipped `OpencodeSubjectSchema`/`OpencodeMessageSchema` or your own); columns are translated to that
 * entity's properties. Everything defaults to the shipped schema.
 */
export interface MikroOrmAdapterOptions {
  subjects?: SubjectMapping
  messages?: MessageMapping
  /** SQLite only: how long a writer waits for another process's write lock (default 15 000 ms). */
  sqlite?: { busyTimeoutMs?: number }
}

/** Resolved subject mapping: entity and property names. */
export interface SubjectNames {
  entity: string
  id: string
  title: string
  opencodeSessionId: string
}

/** Resolved message mapping (`null`: the entity has no such property). */
export interface MessageNames {
  entity: string
  id: string
  status: string
  content: string
  reasoning: string | null
  parts: string | null
  toolCalls: string | null
  cost: string | null
  inputTokens: string | null
  outputTokens: string | null
  cacheReadTokens: string | null
  cacheWriteTokens: string | null
  lastActivityAt: string | null
  opencodeSessionId: string | null
  opencodeMessageId: string | null
  requests: string | null
  updatedAt: string | null
  /** Properties that hold JSON as text (not a `json` property): written with `JSON.stringify`. */
  jsonAsText: ReadonlySet<string>
}

/** Default table names of the shipped schema. */
export const DEFAULT_SUBJECTS_TABLE = 'opencode_subjects'
/** Default table names of the shipped schema. */
export const DEFAULT_MESSAGES_TABLE = 'opencode_messages'

const SUBJECT_COLUMNS: Required<SubjectColumns> = {
  id: 'id',
  title: 'title',
  opencodeSessionId: 'opencode_session_id',
}

const MESSAGE_COLUMNS: { [K in keyof Required<MessageColumns>]: string } = {
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
  updatedAt: 'updated_at',
}

const REQUIRED = new Set(['id', 'title', 'opencodeSessionId', 'status', 'content'])

/** The entity a mapping names, by `entity` or by `table`. */
function findEntity(
  orm: MikroORM | EntityManager,
  mapping: SubjectMapping | MessageMapping,
  table: string,
): EntityMetadata {
  const storage = 'fork' in orm ? orm.getMetadata() : orm.getMetadata()
  const all = Object.values(storage.getAll())
  if (mapping.entity !== undefined) {
    const meta = all.find((m) => m.className === mapping.entity || m.name === mapping.entity)
    if (!meta) throw new InvalidArgumentError(`no entity named ${mapping.entity} is registered in the ORM`)
    return meta
  }
  const name = mapping.table ?? table
  const meta = all.find((m) => !m.embeddable && !m.virtual && m.tableName === name)
  if (!meta) {
    throw new InvalidArgumentError(
      `no entity is registered for table ${name}: add OpencodeSubjectSchema and OpencodeMessageSchema (or your own entity for it) to the ORM's entities`,
    )
  }
  return meta
}

/** Property names for each port field of one entity. */
function resolveFields<F extends string>(
  meta: EntityMetadata,
  mapping: SubjectMapping | MessageMapping,
  defaults: Record<F, string>,
): Record<F, string | null> {
  const properties = (mapping.properties ?? {}) as Record<string, string | null | undefined>
  const columns = (mapping.columns ?? {}) as Record<string, string | null | undefined>
  const props = Object.values(meta.properties) as EntityProperty[]
  const byColumn = (column: string) => props.find((p) => p.fieldNames?.includes(column))?.name
  const resolved = {} as Record<F, string | null>
  for (const field of Object.keys(defaults) as F[]) {
    let name: string | null | undefined
    if (properties[field] !== undefined) {
      name = properties[field]
      if (name !== null && !meta.properties[name as never]) {
        throw new InvalidArgumentError(`entity ${meta.className} has no property ${name} (for ${field})`)
      }
    } else if (columns[field] !== undefined) {
      const column = columns[field]
      name = column === null ? null : byColumn(column)
      if (name === undefined) {
        throw new InvalidArgumentError(
          `entity ${meta.className} maps no property to column ${column} (${field})`,
        )
      }
    } else {
      name = byColumn(defaults[field]) ?? (meta.properties[field as never] ? field : undefined)
      if (name === undefined) {
        const hint = REQUIRED.has(field) ? '' : `, or set it to null if the table has none`
        throw new InvalidArgumentError(
          `entity ${meta.className} has no column ${defaults[field]}: name the column for ${field}${hint}`,
        )
      }
    }
    resolved[field] = name
  }
  return resolved
}

function isJson(prop: EntityProperty | undefined): boolean {
  if (!prop) return false
  return prop.customType instanceof JsonType || /^json/i.test(String(prop.type))
}

/**
 * Entity and property names for `options`: tables become their registered entities, columns
 * their properties; everything left out is the shipped schema's.
 */
export function resolveNames(
  orm: MikroORM | EntityManager,
  options: MikroOrmAdapterOptions,
): { subjects: SubjectNames; messages: MessageNames } {
  const subjectMapping = options.subjects ?? {}
  const messageMapping = options.messages ?? {}
  const subjectMeta = findEntity(orm, subjectMapping, DEFAULT_SUBJECTS_TABLE)
  const messageMeta = findEntity(orm, messageMapping, DEFAULT_MESSAGES_TABLE)
  const subjects = resolveFields(subjectMeta, subjectMapping, SUBJECT_COLUMNS)
  const messages = resolveFields(messageMeta, messageMapping, MESSAGE_COLUMNS)
  const jsonAsText = new Set<string>()
  for (const name of [messages.parts, messages.toolCalls]) {
    if (name !== null && !isJson(messageMeta.properties[name as never])) jsonAsText.add(name)
  }
  return {
    subjects: {
      entity: subjectMeta.className,
      id: subjects.id as string,
      title: subjects.title as string,
      opencodeSessionId: subjects.opencodeSessionId as string,
    },
    messages: {
      entity: messageMeta.className,
      id: messages.id as string,
      status: messages.status as string,
      content: messages.content as string,
      reasoning: messages.reasoning,
      parts: messages.parts,
      toolCalls: messages.toolCalls,
      cost: messages.cost,
      inputTokens: messages.inputTokens,
      outputTokens: messages.outputTokens,
      cacheReadTokens: messages.cacheReadTokens,
      cacheWriteTokens: messages.cacheWriteTokens,
      lastActivityAt: messages.lastActivityAt,
      opencodeSessionId: messages.opencodeSessionId,
      opencodeMessageId: messages.opencodeMessageId,
      requests: messages.requests,
      updatedAt: messages.updatedAt,
      jsonAsText,
    },
  }
}
