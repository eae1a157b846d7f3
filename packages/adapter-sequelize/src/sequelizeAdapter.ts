import {
  type AdapterOptions,
  type Condition,
  createMessagePort,
  createRecordPort,
  type MessageColumns,
  type MessagePort,
  mapColumns,
  type RecordPort,
  resolveAdapterOptions,
  type SubjectColumns,
  type TableOptions,
  type WriteMode,
} from '@opencode-kit/core/adapter'
import {
  type DataType,
  DataTypes,
  type Model,
  type ModelAttributes,
  type ModelStatic,
  Op,
  type Sequelize,
  Transaction,
  UniqueConstraintError,
  type WhereOptions,
} from 'sequelize'
import { installSqliteBusyTimeout } from './sqliteBusyTimeout.js'

/** The ports {@link sequelizeAdapter} returns. */
export interface SequelizeAdapter {
  records: RecordPort
  messages: MessagePort
}

/**
 * Where one kind of row lives: your Sequelize model, or a table (the adapter then defines a private
 * model on it), and its database columns — the same `table`/`columns` vocabulary as every
 * opencode-kit adapter.
 */
export interface SequelizeTableOptions<Columns> extends TableOptions<Columns> {
  /**
   * Your model. The adapter finds the attribute mapped to each column (its `field`, or its name);
   * the model's own `timestamps` setting stamps `updatedAt` (its `columns.updatedAt` is not used).
   */
  model?: ModelStatic<Model>
}

/** Options of {@link sequelizeAdapter}: the kit's `AdapterOptions`, with Sequelize models allowed. */
export interface SequelizeAdapterOptions extends Omit<AdapterOptions, 'subjects' | 'messages'> {
  subjects?: SequelizeTableOptions<SubjectColumns>
  messages?: SequelizeTableOptions<MessageColumns>
}

/** Sequelize's hook runner; public at runtime but missing from the v6 type declarations. */
interface HookRunner {
  hasHook(name: string): boolean
  runHooks(name: string, ...args: unknown[]): Promise<void>
}

type Row = Record<string, unknown>

/** The Rails `update_columns`: no hooks, no `updatedAt` bump, no validation. */
const HOOK_FREE = { hooks: false, silent: true, validate: false } as const

// Types of the private model's attributes (a table given without a model).
const SUBJECT_TYPES: Record<keyof SubjectColumns, DataType> = {
  id: DataTypes.INTEGER,
  title: DataTypes.TEXT,
  opencodeSessionId: DataTypes.STRING(255),
}
const MESSAGE_TYPES: Record<keyof MessageColumns, DataType> = {
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
  updatedAt: DataTypes.DATE,
}

let privateModels = 0

/** A model on `table` with one attribute per mapped field (named after the field), and those names. */
function privateModel<Columns extends object>(
  sequelize: Sequelize,
  kind: string,
  table: string,
  columns: Columns,
  types: Record<keyof Columns, DataType>,
): { model: ModelStatic<Model>; names: Columns } {
  const attributes: ModelAttributes = {}
  const names = {} as Record<string, string | null>
  for (const [field, column] of Object.entries(columns) as Array<[keyof Columns & string, string | null]>) {
    names[field] = column === null ? null : field
    if (column === null) continue
    attributes[field] =
      field === 'id'
        ? { type: types[field], primaryKey: true, autoIncrement: true, field: column }
        : { type: types[field], field: column }
  }
  const model = sequelize.define(`opencodeKit${kind}${++privateModels}`, attributes, {
    tableName: table,
    timestamps: false,
  })
  return { model, names: names as Columns }
}

/** The attribute names of `model` for each column (a missing one is a configuration error). */
function attributeNames<Columns extends object>(model: ModelStatic<Model>, columns: Columns): Columns {
  const byColumn = new Map<string, string>()
  for (const [name, attribute] of Object.entries(model.getAttributes()))
    byColumn.set(attribute.field ?? name, name)
  return mapColumns(columns, (column) => byColumn.get(column), `model ${model.name}`)
}

const plain = (row: Model | null): Row | undefined => row?.get({ plain: true }) as Row | undefined

/**
 * The Sequelize v6 implementation of the core's `RecordPort` and `MessagePort`, built on the adapter
 * kit: on your own models (`model`, with `columns` naming the database columns that differ), on a
 * table (`table` + `columns`, for which a private model is defined), or on the shipped schema (no
 * options; see {@link opencodeMigration}). Works on PostgreSQL (`pg`), MySQL/MariaDB (`mysql`
 * dialect with `mysql2`) and SQLite (`sqlite3`).
 *
 * - `withLock` is a managed transaction re-reading the row with `lock: transaction.LOCK.UPDATE`
 *   (`SELECT … FOR UPDATE`); on SQLite it is `BEGIN IMMEDIATE`, every connection gets the
 *   `sqlite.busyTimeoutMs` busy timeout (default 30 s; node-sqlite3's own is 1 s) and lock callers
 *   of one process queue.
 * - Terminal transitions and `update` run as any `Model.update` (bulk hooks, `updatedAt`); when this
 *   call moved the row, the model's per-row `afterUpdate` hooks also run once, with the row re-read.
 *   Snapshots, heartbeats and claims are the Rails `update_columns` (`hooks: false, silent: true`).
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
 * ```
 */
export function sequelizeAdapter(
  sequelize: Sequelize,
  options: SequelizeAdapterOptions = {},
): SequelizeAdapter {
  const resolved = resolveAdapterOptions(options)
  const dialect = sequelize.getDialect()
  const sqlite = dialect === 'sqlite'
  // MySQL/MariaDB connect with -FOUND_ROWS: an UPDATE counts changed rows, not matched ones.
  const mysql = dialect === 'mysql' || dialect === 'mariadb'
  if (sqlite) installSqliteBusyTimeout(sequelize, resolved.sqlite.busyTimeoutMs)

  const subjects = options.subjects?.model
    ? {
        model: options.subjects.model,
        names: attributeNames(options.subjects.model, resolved.subjects.columns),
      }
    : privateModel(sequelize, 'Subject', resolved.subjects.table, resolved.subjects.columns, SUBJECT_TYPES)
  const messages = options.messages?.model
    ? {
        model: options.messages.model,
        // The model's own timestamps stamp updatedAt.
        names: attributeNames(options.messages.model, { ...resolved.messages.columns, updatedAt: null }),
      }
    : privateModel(sequelize, 'Message', resolved.messages.table, resolved.messages.columns, MESSAGE_TYPES)
  const s = subjects.names
  const m = messages.names
  const Subject = subjects.model
  const Message = messages.model

  const condition = (c: Condition): WhereOptions => {
    if (c.op === 'eq') return { [c.field]: c.value }
    if (c.op === 'null') return { [c.field]: null }
    if (c.op === 'notNull') return { [c.field]: { [Op.ne]: null } }
    if (c.op === 'lt') return { [c.field]: { [Op.lt]: c.value } }
    if (!mysql) return { [c.field]: c.value }
    // MySQL compares text case-insensitively: compare bytes there.
    const field = Message.getAttributes()[c.field]?.field ?? c.field
    return sequelize.where(sequelize.cast(sequelize.col(field), 'BINARY'), c.value)
  }
  const where = (id: unknown, conditions: Condition[]): WhereOptions => ({
    [Op.and]: [{ [m.id]: id }, ...conditions.map(condition)],
  })
  // Per-row afterUpdate hooks for a row this port just moved (only when some exist).
  const afterUpdate = async (id: unknown, values: Row) => {
    const hooks = Message as unknown as HookRunner
    if (!hooks.hasHook('afterUpdate')) return
    const row = await Message.findOne({ where: { [m.id]: id } })
    if (row) await hooks.runHooks('afterUpdate', row, { fields: Object.keys(values) })
  }
  const update = async (id: unknown, values: Row, conditions: Condition[], mode: WriteMode) => {
    const [count] = await Message.update(values, {
      where: where(id, conditions),
      ...(mode === 'quiet' ? HOOK_FREE : {}),
    })
    // A transition always changes status; an update may rewrite identical values (0 on MySQL).
    if (mode === 'transition' ? count > 0 : mode === 'update' && (count > 0 || mysql))
      await afterUpdate(id, values)
    return count
  }
  const isJson = (attribute: string) => {
    const type = Message.getAttributes()[attribute]?.type as { key?: string } | string | undefined
    const key = typeof type === 'string' ? type.toUpperCase() : type?.key
    return key === 'JSON' || key === 'JSONB'
  }

  const records = createRecordPort<Transaction>({
    names: s,
    sqliteOwner: sqlite ? sequelize : null,
    isUniqueViolation: (error) => error instanceof UniqueConstraintError,
    statements: {
      find: async (id) => plain(await Subject.findOne({ where: { [s.id]: id } })),
      locked: (id, fn) =>
        sequelize.transaction(sqlite ? { type: Transaction.TYPES.IMMEDIATE } : {}, async (transaction) =>
          fn(
            plain(
              await Subject.findOne({ where: { [s.id]: id }, lock: transaction.LOCK.UPDATE, transaction }),
            ),
            transaction,
          ),
        ),
      update: (id, values, transaction) => Subject.update(values, { where: { [s.id]: id }, transaction }),
    },
  })

  return {
    records,
    messages: createMessagePort({
      names: m,
      jsonAsText: (attribute) => !isJson(attribute),
      statements: {
        find: async (id) => plain(await Message.findOne({ where: { [m.id]: id } })),
        update,
        list: async (conditions, orderBy, limit) => {
          const rows = await Message.findAll({
            attributes: [m.id],
            where: { [Op.and]: conditions.map(condition) },
            order: orderBy.map((name) => [name, 'ASC']),
            limit,
          })
          return rows.map((row) => row.get(m.id))
        },
      },
    }),
  }
}
