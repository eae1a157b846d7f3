import type { RowId } from '@opencode-kit/core'
import type { MessagePort, RecordPort } from '@opencode-kit/core/adapter'
import {
  type AdapterOptions,
  type Condition,
  createMessagePort,
  createRecordPort,
  InvalidArgumentError,
  type MessageStatements,
  mapColumns,
  resolveAdapterOptions,
  serializeSqliteWrites,
  type TableOptions,
} from '@opencode-kit/core/adapter'
import { DbNull } from '@prisma/client/runtime/client'

// biome-ignore lint/suspicious/noExplicitAny: the user's generated client, whatever its models
type Any = any

/**
 * What the adapter needs of your generated `PrismaClient` (Prisma 7, any driver adapter): every
 * generated client has these.
 */
export interface PrismaClientLike {
  $transaction<R>(fn: (tx: Any) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>
}

/** Where one kind of row lives: your Prisma model (by name) or its table, and its columns. */
export interface PrismaTableOptions<Columns> extends TableOptions<Columns> {
  /**
   * The model's name in your `schema.prisma` (`OpencodeSubject`). Default: the model mapped to
   * `table`, else `OpencodeSubject` / `OpencodeMessage` (the shipped models).
   */
  model?: string
}

/** Options of {@link prismaAdapter}: the kit's `AdapterOptions`, with Prisma model names allowed. */
export interface PrismaAdapterOptions extends Omit<AdapterOptions, 'subjects' | 'messages'> {
  subjects?: PrismaTableOptions<NonNullable<NonNullable<AdapterOptions['subjects']>['columns']>>
  messages?: PrismaTableOptions<NonNullable<NonNullable<AdapterOptions['messages']>['columns']>>
  /**
   * Limits of the lock transaction (`prisma.$transaction`): how long to wait for a connection and
   * how long it may run. Defaults: 30 s and 60 s (Prisma's own 2 s / 5 s are too short for a row
   * lock waited for under contention).
   */
  transaction?: { maxWaitMs?: number; timeoutMs?: number }
}

/** The two ports {@link prismaAdapter} builds. */
export interface PrismaAdapter {
  records: RecordPort
  messages: MessagePort
}

type Provider = 'postgresql' | 'mysql' | 'sqlite'
type Row = Record<string, unknown>
interface ModelField {
  name: string
  kind: string
  type: string
  dbName?: string | null
}
interface Model {
  name: string
  table: string
  fields: ModelField[]
}

/** The models of the client's schema, from the data model every Prisma 7 client carries. */
function modelsOf(prisma: object): Model[] {
  const data = (prisma as { _runtimeDataModel?: { models?: Record<string, Any> } })._runtimeDataModel
  if (!data?.models)
    throw new TypeError(
      'prismaAdapter: expected a generated PrismaClient (Prisma 7), got an object without its data model',
    )
  return Object.entries(data.models).map(([name, model]) => ({
    name,
    table: model.dbName ?? name,
    fields: (model.fields as ModelField[]).filter((f) => f.kind === 'scalar' || f.kind === 'enum'),
  }))
}

function providerOf(prisma: object): Provider {
  const provider = (prisma as { _activeProvider?: string })._activeProvider
  if (provider === 'postgresql' || provider === 'mysql' || provider === 'sqlite') return provider
  throw new TypeError(
    `prismaAdapter: unsupported provider ${String(provider)} (PostgreSQL, MySQL/MariaDB or SQLite)`,
  )
}

/** The model named `option.model`, else the one mapped to `table`, else the shipped model. */
function pickModel(models: Model[], model: string | undefined, table: string, shipped: string): Model {
  const found = model
    ? models.find((m) => m.name === model)
    : (models.find((m) => m.table === table) ?? models.find((m) => m.name === shipped))
  if (!found) {
    throw new InvalidArgumentError(
      `prismaAdapter: no model ${model ?? `for table ${table} (nor ${shipped})`} in the client's schema: add the opencode-kit models to schema.prisma or name yours`,
    )
  }
  return found
}

/** Prisma's delegate name for a model: `OpencodeMessage` → `prisma.opencodeMessage`. */
const delegateName = (model: string) => model.charAt(0).toLowerCase() + model.slice(1)

/**
 * `RecordPort` and `MessagePort` on your generated Prisma 7 client (driver adapters
 * `@prisma/adapter-pg`, `@prisma/adapter-mariadb`, `@prisma/adapter-better-sqlite3`), on the
 * shipped models ({@link opencodePrismaModels}) or on yours. Options name database tables and
 * columns, as in every opencode-kit adapter; the adapter finds the models and fields they map to.
 * `withLock` is `prisma.$transaction` locking the row with `SELECT … FOR UPDATE`; on SQLite its
 * first statement is a no-op write taking the database write lock, and every port write of this
 * process queues behind it. Every compare-and-set is one `updateMany` whose count is the answer;
 * unique clashes (`P2002`) become `UniqueViolationError`.
 *
 * @example
 * ```ts
 * import { PrismaPg } from '@prisma/adapter-pg'
 * import { prismaAdapter } from '@opencode-kit/adapter-prisma'
 * import { PrismaClient } from './generated/prisma/client.js'
 *
 * const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) })
 * const { records, messages } = prismaAdapter(prisma)
 * ```
 */
export function prismaAdapter(prisma: PrismaClientLike, options: PrismaAdapterOptions = {}): PrismaAdapter {
  const provider = providerOf(prisma)
  const models = modelsOf(prisma)
  const resolved = resolveAdapterOptions(options)
  const subjectModel = pickModel(models, options.subjects?.model, resolved.subjects.table, 'OpencodeSubject')
  const messageModel = pickModel(models, options.messages?.model, resolved.messages.table, 'OpencodeMessage')
  const fieldOf = (model: Model) => (column: string) =>
    model.fields.find((f) => (f.dbName ?? f.name) === column)?.name
  const s = mapColumns(resolved.subjects.columns, fieldOf(subjectModel), `model ${subjectModel.name}`)
  const m = mapColumns(resolved.messages.columns, fieldOf(messageModel), `model ${messageModel.name}`)
  const field = (model: Model, name: string) => model.fields.find((f) => f.name === name) as ModelField
  const columnOf = (model: Model, name: string) => field(model, name).dbName ?? name

  const client = prisma as Any
  const sqlite = provider === 'sqlite'
  const owner = sqlite ? prisma : null
  const queued = <T>(fn: () => Promise<T>) => (owner ? serializeSqliteWrites(owner, fn) : fn())
  const quote = (name: string) => (provider === 'mysql' ? `\`${name}\`` : `"${name}"`)
  const placeholder = (n: number) => (provider === 'postgresql' ? `$${n}` : '?')
  const limits = {
    maxWait: options.transaction?.maxWaitMs ?? 30_000,
    timeout: options.transaction?.timeoutMs ?? Math.max(60_000, resolved.sqlite.busyTimeoutMs + 30_000),
  }
  // Keys as the id field's type wants them (BigInt ids accept no decimal strings).
  const keyOf = (model: Model, idField: string) => {
    const type = field(model, idField).type
    return (id: RowId): unknown =>
      type === 'BigInt' ? BigInt(id) : type === 'Int' ? Number(id) : type === 'String' ? String(id) : id
  }
  const subjectKey = keyOf(subjectModel, s.id)
  const messageKey = keyOf(messageModel, m.id)
  const selectOf = (names: object) =>
    Object.fromEntries(
      Object.values(names)
        .filter((name): name is string => typeof name === 'string')
        .map((name) => [name, true]),
    )
  const subjectSelect = selectOf(s)
  const messageSelect = selectOf(m)
  const subjects = (db: Any = client) => db[delegateName(subjectModel.name)]
  const messages = () => client[delegateName(messageModel.name)]
  const found = (row: Row | null) => row ?? undefined

  const condition = (c: Condition): Row => {
    if (c.op === 'eq' || c.op === 'text') return { [c.field]: c.value }
    if (c.op === 'null') return { [c.field]: null }
    if (c.op === 'notNull') return { [c.field]: { not: null } }
    return { [c.field]: { lt: c.value } }
  }
  // MySQL compares text case-insensitively, and Prisma has no byte comparison: raw SQL there.
  const binaryUpdate = async (id: RowId, values: Row, where: Condition[]) => {
    const params: unknown[] = []
    const bind = (value: unknown) => {
      params.push(value)
      return placeholder(params.length)
    }
    const col = (name: string) => quote(columnOf(messageModel, name))
    const set = Object.entries(values).map(([name, value]) => `${col(name)} = ${bind(value)}`)
    const clauses = [`${col(m.id)} = ${bind(messageKey(id))}`]
    for (const c of where) {
      if (c.op === 'null') clauses.push(`${col(c.field)} IS NULL`)
      else if (c.op === 'notNull') clauses.push(`${col(c.field)} IS NOT NULL`)
      else if (c.op === 'lt') clauses.push(`${col(c.field)} < ${bind(c.value)}`)
      else if (c.op === 'text') clauses.push(`BINARY ${col(c.field)} = ${bind(c.value)}`)
      else clauses.push(`${col(c.field)} = ${bind(c.value)}`)
    }
    const sql = `UPDATE ${quote(messageModel.table)} SET ${set.join(', ')} WHERE ${clauses.join(' AND ')}`
    return client.$executeRawUnsafe(sql, ...params) as Promise<number>
  }

  // Prisma clears a Json column with DbNull, not null.
  const jsonFields = new Set(messageModel.fields.filter((f) => f.type === 'Json').map((f) => f.name))
  const data = (values: Row) =>
    Object.fromEntries(
      Object.entries(values).map(([name, value]) => [
        name,
        value === null && jsonFields.has(name) ? DbNull : value,
      ]),
    )

  const statements: MessageStatements = {
    find: async (id) =>
      found(await messages().findUnique({ where: { [m.id]: messageKey(id) }, select: messageSelect })),
    update: (id, values, where) =>
      queued(async () => {
        if (provider === 'mysql' && where.some((c) => c.op === 'text')) return binaryUpdate(id, values, where)
        const result = await messages().updateMany({
          where: { AND: [{ [m.id]: messageKey(id) }, ...where.map(condition)] },
          data: data(values),
        })
        return result.count as number
      }),
    list: async (where, orderBy, limit) => {
      const rows: Row[] = await messages().findMany({
        where: { AND: where.map(condition) },
        orderBy: orderBy.map((name) => ({ [name]: 'asc' })),
        take: limit,
        select: { [m.id]: true },
      })
      return rows.map((row) => row[m.id])
    },
  }

  const table = quote(subjectModel.table)
  const idColumn = quote(columnOf(subjectModel, s.id))
  const records = createRecordPort<Any>({
    names: s,
    sqliteOwner: owner,
    isUniqueViolation: (error) => (error as { code?: unknown } | null)?.code === 'P2002',
    statements: {
      find: async (id) =>
        found(await subjects().findUnique({ where: { [s.id]: subjectKey(id) }, select: subjectSelect })),
      locked: (id, fn) =>
        client.$transaction(async (tx: Any) => {
          const key = subjectKey(id)
          if (sqlite) {
            await tx.$queryRawUnsafe(`PRAGMA busy_timeout = ${Math.trunc(resolved.sqlite.busyTimeoutMs)}`)
            // A write as first statement upgrades the deferred BEGIN to the database write lock.
            await tx.$executeRawUnsafe(
              `UPDATE ${table} SET ${idColumn} = ${idColumn} WHERE ${idColumn} = ?`,
              key,
            )
          } else {
            await tx.$queryRawUnsafe(
              `SELECT 1 FROM ${table} WHERE ${idColumn} = ${placeholder(1)} FOR UPDATE`,
              key,
            )
          }
          const row = await subjects(tx).findUnique({ where: { [s.id]: key }, select: subjectSelect })
          return fn(found(row), tx)
        }, limits),
      update: (id, values, tx) => {
        const write = () => subjects(tx).updateMany({ where: { [s.id]: subjectKey(id) }, data: values })
        return tx ? write() : queued(write)
      },
    },
  })

  const messagesPort = createMessagePort({
    names: m,
    statements,
    jsonAsText: (name) => field(messageModel, name).type !== 'Json',
  })
  return { records, messages: messagesPort }
}
