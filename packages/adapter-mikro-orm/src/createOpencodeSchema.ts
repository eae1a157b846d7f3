import {
  type EntityManager,
  type EntityMetadata,
  type ISchemaGenerator,
  MetadataStorage,
  type MikroORM,
} from '@mikro-orm/core'
import { InvalidArgumentError } from '@opencode-kit/core'
import { DEFAULT_MESSAGES_TABLE, DEFAULT_SUBJECTS_TABLE } from './options.js'

/** Which tables {@link createOpencodeSchema} creates (their entities must be registered). */
export interface OpencodeSchemaOptions {
  subjectsTable?: string
  messagesTable?: string
}

/**
 * A schema generator of the ORM's driver that sees only the opencode entities, so it never
 * creates, alters or drops any table of yours.
 */
function opencodeGenerator(orm: MikroORM | EntityManager, options: OpencodeSchemaOptions): ISchemaGenerator {
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
        `no entity is registered for table ${table}: add OpencodeSubject and OpencodeMessage (or defineOpencodeEntities()) to the ORM's entities`,
      )
    }
    return meta
  })
  // A new generator of the driver's kind (the ORM's own `orm.schema` is left alone).
  const generator = em.getPlatform().getSchemaGenerator(em.getDriver(), em)
  // The generator reads `this.metadata` for its target schema: hand it the two entities only.
  Object.assign(generator, {
    metadata: new MetadataStorage(Object.fromEntries(metas.map((m) => [m.className, m]))),
  })
  return generator
}

/**
 * Create the opencode tables from the registered entities with MikroORM's SchemaGenerator — or add
 * what an existing copy lacks. Only `OpencodeSubject`/`OpencodeMessage` (the entities registered
 * for `opencode_subjects`/`opencode_messages`, or the tables you name) are looked at: your own
 * tables are never created, altered or dropped, and nothing is ever dropped (`safe` mode). For
 * development and tests; in production put {@link opencodeSchemaSql} (or `opencodeDdl`) in a
 * migration.
 *
 * @example
 * ```ts
 * const orm = await MikroORM.init({ driver: BetterSqliteDriver, dbName: 'app.db', entities: [OpencodeSubject, OpencodeMessage] })
 * await createOpencodeSchema(orm)
 * const { records, messages } = mikroOrmAdapter(orm)
 * ```
 */
export async function createOpencodeSchema(
  orm: MikroORM | EntityManager,
  options: OpencodeSchemaOptions = {},
): Promise<void> {
  await opencodeGenerator(orm, options).updateSchema({ safe: true, dropTables: false })
}

/**
 * The SQL {@link createOpencodeSchema} would run now (empty when the tables are up to date) — for
 * a migration or a review.
 *
 * @example
 * ```ts
 * const sql = await opencodeSchemaSql(orm)
 * if (sql) console.log(sql)
 * ```
 */
export async function opencodeSchemaSql(
  orm: MikroORM | EntityManager,
  options: OpencodeSchemaOptions = {},
): Promise<string> {
  const sql = await opencodeGenerator(orm, options).getUpdateSchemaSQL({
    safe: true,
    dropTables: false,
    wrap: false,
  })
  return sql.trim()
}
