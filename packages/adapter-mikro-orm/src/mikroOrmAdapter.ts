import {
  type EntityManager,
  type EntityMetadata,
  type EntityProperty,
  JsonType,
  LockMode,
  type MikroORM,
  raw,
  UniqueConstraintViolationException,
} from '@mikro-orm/core'
import {
  type AdapterOptions,
  type Condition,
  createMessagePort,
  createRecordPort,
  InvalidArgumentError,
  type MessageColumns,
  type MessagePort,
  mapColumns,
  type RecordPort,
  resolveAdapterOptions,
  type SubjectColumns,
  type TableOptions,
} from '@opencode-kit/core/adapter'

/**
 * The ports {@link mikroOrmAdapter} returns, ready for `Session` and `Turn`.
 *
 * @example
 * ```ts
 * const { records, messages }: MikroOrmAdapter = mikroOrmAdapter(orm)
 * ```
 */
export interface MikroOrmAdapter {
  records: RecordPort
  messages: MessagePort
}

/**
 * Where one kind of row lives: a table and its columns (the entity registered for the table is
 * used, its properties found by column), or an entity by name (e.g. two entities on one table).
 */
export interface MikroOrmTableOptions<Columns> extends TableOptions<Columns> {
  /** Entity name, instead of finding the entity by `table`. */
  entity?: string
}

/**
 * Options of {@link mikroOrmAdapter}: the kit's `AdapterOptions` (tables, columns, SQLite tuning,
 * the same in every adapter), with MikroORM entity names allowed.
 */
export interface MikroOrmAdapterOptions extends Omit<AdapterOptions, 'subjects' | 'messages'> {
  subjects?: MikroOrmTableOptions<SubjectColumns>
  messages?: MikroOrmTableOptions<MessageColumns>
}

type Row = Record<string, unknown>

/**
 * The ports address one row by primary key: the app's entity filters (soft delete, tenant scope)
 * must neither hide it nor demand filter arguments — as Rails' `update_columns` ignores scopes.
 */
const UNFILTERED = { filters: false } as const

/** The entity `entity` names, else the one registered for `table`. */
function findEntity(em: EntityManager, entity: string | undefined, table: string): EntityMetadata {
  const all = Object.values(em.getMetadata().getAll()) as EntityMetadata[]
  const meta =
    entity !== undefined
      ? all.find((m) => m.className === entity || m.name === entity)
      : all.find((m) => !m.embeddable && !m.virtual && m.tableName === table)
  if (!meta) {
    throw new InvalidArgumentError(
      entity !== undefined
        ? `no entity named ${entity} is registered in the ORM`
        : `no entity is registered for table ${table}: add OpencodeSubjectSchema and OpencodeMessageSchema (or your own entity for it) to the ORM's entities`,
    )
  }
  return meta
}

/** Property names of `meta` for each column (a missing one is a configuration error). */
function propertyNames<Columns extends object>(meta: EntityMetadata, columns: Columns): Columns {
  const props = Object.values(meta.properties) as EntityProperty[]
  return mapColumns(
    columns,
    (column) => props.find((p) => p.fieldNames?.includes(column))?.name,
    `entity ${meta.className}`,
  )
}

/**
 * The opencode-kit ports on MikroORM 6 (PostgreSQL, MySQL/MariaDB, SQLite), built on the adapter
 * kit. Pass the `MikroORM` instance or any of its EntityManagers (`orm.em`, a request-scoped em):
 * every port call works on a fresh `fork()` of it, never on the one you pass, so nothing lands in
 * your identity map and no transaction of yours is joined. Register `OpencodeSubjectSchema` and
 * `OpencodeMessageSchema` (or the entities of `defineOpencodeEntities()`) in your ORM — or map the
 * ports onto your own entities by table and columns.
 *
 * - `withLock` is a transaction on the fork reading the row with `LockMode.PESSIMISTIC_WRITE`
 *   (`SELECT … FOR UPDATE`); SQLite has no row locks, so there the transaction's first statement
 *   is a no-op write that takes the database write lock (waiting up to `sqlite.busyTimeoutMs`,
 *   default 30 s), and callers in one process queue.
 * - Every write is a `nativeUpdate` (no entity is loaded, no lifecycle hook runs); every
 *   compare-and-set is one conditional UPDATE whose affected count is the answer.
 *
 * @example
 * ```ts
 * const { OpencodeSubjectSchema, OpencodeMessageSchema } = defineOpencodeEntities()
 * const orm = await MikroORM.init({ driver: PostgreSqlDriver, clientUrl, entities: [OpencodeSubjectSchema, OpencodeMessageSchema] })
 * const { records, messages } = mikroOrmAdapter(orm)
 * // or: mikroOrmAdapter(orm, { subjects: { table: 'conversations', columns: { opencodeSessionId: 'agent_session' } } })
 * ```
 */
export function mikroOrmAdapter(
  orm: MikroORM | EntityManager,
  options: MikroOrmAdapterOptions = {},
): MikroOrmAdapter {
  // Duck-typed rather than `instanceof`: a second copy of @mikro-orm/core must not break it.
  const em = 'fork' in orm ? orm : orm.em
  const resolved = resolveAdapterOptions(options)
  const platform = em.getPlatform().constructor.name
  const sqlite = /sqlite/i.test(platform)
  const mysql = /mysql|maria/i.test(platform)
  const subjectMeta = findEntity(em, options.subjects?.entity, resolved.subjects.table)
  const messageMeta = findEntity(em, options.messages?.entity, resolved.messages.table)
  const s = propertyNames(subjectMeta, resolved.subjects.columns)
  const m = propertyNames(messageMeta, resolved.messages.columns)
  const subject = subjectMeta.className
  const message = messageMeta.className

  const records = createRecordPort<EntityManager>({
    names: s,
    sqliteOwner: sqlite ? em.getDriver() : null,
    isUniqueViolation: (error) =>
      error instanceof UniqueConstraintViolationException ||
      (error as { name?: unknown })?.name === 'UniqueConstraintViolationException',
    statements: {
      find: async (id) =>
        ((await em.fork().findOne(subject, { [s.id]: id }, UNFILTERED)) as Row | null) ?? undefined,
      locked: (id, fn) => {
        const fork = em.fork()
        // The connection's transaction rather than `em.transactional`: that one flushes the fork at
        // commit, firing beforeFlush/onFlush/afterFlush in the app's subscribers for nothing.
        return fork.getConnection().transactional(async (trx) => {
          fork.setTransactionContext(trx)
          try {
            if (sqlite) {
              const busy = `PRAGMA busy_timeout = ${Math.trunc(resolved.sqlite.busyTimeoutMs)}`
              await fork.getConnection().execute(busy, [], 'run', trx)
              // A write as first statement upgrades the deferred BEGIN to the database write lock.
              await fork.nativeUpdate(subject, { [s.id]: id }, { [s.id]: id }, UNFILTERED)
            }
            const lock = sqlite ? {} : { lockMode: LockMode.PESSIMISTIC_WRITE }
            const row = await fork.findOne(subject, { [s.id]: id }, { ...UNFILTERED, ...lock, refresh: true })
            return await fn((row as Row | null) ?? undefined, fork)
          } finally {
            fork.resetTransactionContext()
          }
        })
      },
      update: (id, values, tx) => (tx ?? em.fork()).nativeUpdate(subject, { [s.id]: id }, values, UNFILTERED),
    },
  })

  // One WHERE object: conditions on one property merge their operators; a byte compare on MySQL
  // (text compares case-insensitively there) is a raw key, unqualified (an UPDATE has no alias).
  const where = (conditions: Condition[], id?: unknown): Row => {
    const out: Row = id === undefined ? {} : { [m.id]: id }
    const merge = (field: string, operator: Row) => {
      out[field] = { ...(out[field] as Row | undefined), ...operator }
    }
    for (const c of conditions) {
      if (c.op === 'eq') out[c.field] = c.value
      else if (c.op === 'null') out[c.field] = null
      else if (c.op === 'notNull') merge(c.field, { $ne: null })
      else if (c.op === 'lt') merge(c.field, { $lt: c.value })
      else if (!mysql) out[c.field] = c.value
      else {
        const column = messageMeta.properties[c.field as never]?.fieldNames?.[0] ?? c.field
        out[raw(`binary ${em.getPlatform().quoteIdentifier(column)}`)] = c.value
      }
    }
    return out
  }
  const isJson = (name: string) => {
    const prop = messageMeta.properties[name as never] as EntityProperty | undefined
    return prop !== undefined && (prop.customType instanceof JsonType || /^json/i.test(String(prop.type)))
  }

  const messages = createMessagePort({
    names: m,
    // `json` properties take arrays (MikroORM serializes them); text properties take JSON text.
    jsonAsText: (name) => !isJson(name),
    statements: {
      find: async (id) =>
        ((await em.fork().findOne(message, { [m.id]: id }, UNFILTERED)) as Row | null) ?? undefined,
      update: (id, values, conditions) =>
        em.fork().nativeUpdate(message, where(conditions, id), values, UNFILTERED),
      list: async (conditions, orderBy, limit) => {
        const rows = (await em.fork().find(message, where(conditions), {
          ...UNFILTERED,
          fields: [m.id] as never,
          orderBy: Object.fromEntries(orderBy.map((name) => [name, 'asc'])),
          limit,
        })) as Row[]
        return rows.map((row) => row[m.id])
      },
    },
  })
  return { records, messages }
}
