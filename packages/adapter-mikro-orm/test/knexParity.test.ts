// opencodeDdl() creates the same tables as adapter-knex's migration — column types, nullability,
// defaults, index, unique and foreign-key names and rules — read back from each database's catalog.
// And the shipped entities match those tables: MikroORM's schema diff finds nothing to change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { opencodeDdl } from '../src/index.js'
import { DATABASES, type DatabaseName, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'
import { knexOn, opencodeMigrations } from './support/otherAdapters.js'

type Row = Record<string, unknown>

/** Catalog rows describing `table`, with the table's own name replaced by `$T`. */
async function describeTable(db: IsolatedOrm, name: DatabaseName, table: string, other: string) {
  const rows = async (sql: string) => (await db.sql<Row>(sql)).map((r) => JSON.stringify(r))
  let out: string[]
  if (name === 'postgres') {
    out = [
      ...(await rows(
        `select column_name, data_type, is_nullable, column_default, character_maximum_length, numeric_precision, numeric_scale from information_schema.columns where table_schema = current_schema() and table_name = '${table}' order by ordinal_position`,
      )),
      ...(await rows(
        `select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = '${table}' order by indexname`,
      )),
      ...(await rows(
        `select tc.constraint_name, tc.constraint_type, rc.update_rule, rc.delete_rule from information_schema.table_constraints tc left join information_schema.referential_constraints rc on rc.constraint_name = tc.constraint_name and rc.constraint_schema = tc.constraint_schema where tc.table_schema = current_schema() and tc.table_name = '${table}' and tc.constraint_type <> 'CHECK' order by tc.constraint_name`,
      )),
    ]
  } else if (name === 'mariadb') {
    out = [
      ...(await rows(
        `select column_name, column_type, is_nullable, column_default, extra from information_schema.columns where table_schema = database() and table_name = '${table}' order by ordinal_position`,
      )),
      ...(await rows(
        `select index_name, non_unique, column_name from information_schema.statistics where table_schema = database() and table_name = '${table}' order by index_name, seq_in_index`,
      )),
      ...(await rows(
        `select constraint_name, update_rule, delete_rule, referenced_table_name from information_schema.referential_constraints where constraint_schema = database() and table_name = '${table}'`,
      )),
    ]
  } else {
    out = [
      ...(await rows(`select name, type, "notnull", dflt_value, pk from pragma_table_info('${table}')`)),
      ...(await rows(`select name, "unique" from pragma_index_list('${table}') order by name`)),
      ...(await rows(
        `select "table", "from", "to", on_update, on_delete from pragma_foreign_key_list('${table}')`,
      )),
    ]
  }
  return out.map((line) => line.replaceAll(table, '$T').replaceAll(other, '$O'))
}

describe.each(DATABASES)('the shipped schema on %s', (name) => {
  let db: IsolatedOrm
  beforeAll(async () => {
    db = await isolatedOrm(name) // opencode_subjects / opencode_messages from opencodeDdl()
    const knex = knexOn(db.spec)
    try {
      const [migration] = await opencodeMigrations({
        subjectsTable: 'k_subjects',
        messagesTable: 'k_messages',
      }).getMigrations([])
      await migration?.up(knex)
    } finally {
      await knex.destroy()
    }
  })
  afterAll(async () => {
    await db.drop()
  })

  it('opencodeDdl() matches adapter-knex’s migration column for column and constraint for constraint', async () => {
    const mine = await describeTable(db, name, 'opencode_subjects', 'opencode_messages')
    const knex = await describeTable(db, name, 'k_subjects', 'k_messages')
    expect(mine.length).toBeGreaterThan(5)
    expect(mine).toEqual(knex)
    const mineMessages = await describeTable(db, name, 'opencode_messages', 'opencode_subjects')
    const knexMessages = await describeTable(db, name, 'k_messages', 'k_subjects')
    expect(mineMessages.length).toBeGreaterThan(15)
    expect(mineMessages).toEqual(knexMessages)
  })

  it('is idempotent: running the statements again changes nothing', async () => {
    const before = await describeTable(db, name, 'opencode_messages', 'opencode_subjects')
    for (const sql of opencodeDdl(db.orm)) await db.sql(sql)
    expect(await describeTable(db, name, 'opencode_messages', 'opencode_subjects')).toEqual(before)
  })

  it.runIf(name !== 'sqlite')('the shipped entities match the tables: the schema diff is empty', async () => {
    const diff = await db.orm.schema.getUpdateSchemaSQL({ wrap: false, safe: false, schema: db.spec.schema })
    // The knex-created k_* tables have no entity; only statements about the shipped tables count.
    const ours = diff
      .split('\n')
      .filter((line) => /opencode_(subjects|messages)/.test(line) && !/drop table/i.test(line))
    expect(ours).toEqual([])
  })
})
