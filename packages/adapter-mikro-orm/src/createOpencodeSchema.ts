import {
  type EntityManager,
  type EntityMetadata,
  type ISchemaGenerator,
  MetadataStorage,
  type MikroORM,
} from '@mikro-orm/core'
import { InvalidArgumentError } from '@opencode-kit/core'
import { DEFAULT_MESSAGES_TABLE, DEFAULT_SUBJECTS_TABLE } from '@opencode-kit/core/adapter'

/** Which tables {@link createOpencodeSchema} creates (their entities must be registered). */
export interface OpencodeSchemaOptions {
  subjectsTable?: string
  messagesTable?: string
}

interface Scoped {
  em: EntityManager
  metas: EntityMetadata[]
}

/** The entities registered for the two opencode tables. */
function opencodeEntities(orm: MikroORM | EntityManager, options: OpencodeSchemaOptions): Scoped {
  const em = 'fork' in orm ? orm.fork() : orm.em.fork()
  const tables = [
    options.subjectsTable ?? DEFAULT_SUBJECTS_TABLE,
    options.messagesTable ?? DEFAULT_MESSAGES_TABLE,
  ]
  const all = Object.values(em.getMetadata().getAll()) as EntityMetadata[]
  const metas = tables.map((table) => {
    const meta = all.find((m) => !m.embeddable && !m.virtual && m.tableName === table)
    if (!meta) {
      throw new InvalidArgumentError(
        `no entity is registered for table ${table}: add OpencodeSubjectSchema and OpencodeMessageSchema (or defineOpencodeEntities()) to the ORM's entities`,
      )
    }
    return meta
  })
  return { em, metas }
}

/**
 * A schema generator of the ORM's driver that sees only the opencode entities, so it never
 * creates, alters or drops any table of yours (the ORM's own `orm.schema` is left alone).
 */
function scopedGenerator({ em, metas }: Scoped): ISchemaGenerator {
  const generator = em.getPlatform().getSchemaGenerator(em.getDriver(), em)
  // The generator reads `this.metadata` for its target schema: hand it the two entities only.
  Object.assign(generator, {
    metadata: new MetadataStorage(Object.fromEntries(metas.map((m) => [m.className, m]))),
  })
  return generator
}

/** Whether a table exists: a query that reads no row fails when it does not. */
async function exists(em: EntityManager, meta: EntityMetadata): Promise<boolean> {
  const schema = meta.schema && meta.schema !== '*' ? meta.schema : em.config.get('schema')
  const table = em.getPlatform().quoteIdentifier(schema ? `${schema}.${meta.tableName}` : meta.tableName)
  try {
    await em.getConnection().execute(`select 1 from ${table} where 1 = 0`)
    return true
  } catch {
    return false
  }
}

/** The statements that bring the opencode tables into being ('' when both exist). */
async function pendingSql(scoped: Scoped): Promise<string> {
  const present = await Promise.all(scoped.metas.map((meta) => exists(scoped.em, meta)))
  if (present.every(Boolean)) return ''
  const generator = scopedGenerator(scoped)
  // Both missing (the usual first run): plain CREATE TABLEs. One missing: a safe diff adds it.
  const sql = present.some(Boolean)
    ? await generator.getUpdateSchemaSQL({ safe: true, dropTables: false, wrap: false })
    : await generator.getCreateSchemaSQL({ wrap: false })
  return sql.trim()
}

/**
 * Create the opencode tables from the registered entities with MikroORM's SchemaGenerator, when
 * they do not exist yet. Only the entities registered for `opencode_subjects`/`opencode_messages`
 * (or the tables you name) are looked at: your own tables are never created, altered or dropped,
 * and existing opencode tables are left as they are. For development and tests; in production put
 * {@link opencodeSchemaSql} (or `opencodeDdl`) in a migration.
 *
 * @example
 * ```ts
 * const orm = await MikroORM.init({ driver: BetterSqliteDriver, dbName: 'app.db', entities: [OpencodeSubjectSchema, OpencodeMessageSchema] })
 * await createOpencodeSchema(orm)
 * const { records, messages } = mikroOrmAdapter(orm)
 * ```
 */
export async function createOpencodeSchema(
  orm: MikroORM | EntityManager,
  options: OpencodeSchemaOptions = {},
): Promise<void> {
  const scoped = opencodeEntities(orm, options)
  const sql = await pendingSql(scoped)
  if (sql) await scopedGenerator(scoped).execute(sql)
}

/**
 * The SQL {@link createOpencodeSchema} would run now (empty when the tables exist) — for a
 * migration or a review.
 *
 * @example
 * ```ts
 * const sql = await opencodeSchemaSql(orm)
 * if (sql) console.log(sql)
 * ```
 */
export function opencodeSchemaSql(
  orm: MikroORM | EntityManager,
  options: OpencodeSchemaOptions = {},
): Promise<string> {
  return pendingSql(opencodeEntities(orm, options))
}
