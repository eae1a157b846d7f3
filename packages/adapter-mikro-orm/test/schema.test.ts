// createOpencodeSchema: the opencode tables from the registered entities through MikroORM's
// SchemaGenerator, without touching the host's own entities' tables, idempotent, and working rows.
import { EntitySchema } from '@mikro-orm/core'
import { UniqueViolationError } from '@opencode-kit/core/adapter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createOpencodeSchema,
  mikroOrmAdapter,
  OpencodeMessageSchema,
  OpencodeSubjectSchema,
  opencodeSchemaSql,
} from '../src/index.js'
import { DATABASES, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'

interface Note {
  id: number
  body: string
}
const NoteSchema = new EntitySchema<Note>({
  name: 'HostNote',
  tableName: 'host_notes',
  properties: { id: { type: 'integer', primary: true, autoincrement: true }, body: { type: 'text' } },
})

describe.each(DATABASES)('createOpencodeSchema on %s', (name) => {
  let db: IsolatedOrm
  const tables = async () => {
    const query =
      name === 'sqlite'
        ? "select name from sqlite_master where type = 'table'"
        : name === 'postgres'
          ? 'select table_name as name from information_schema.tables where table_schema = current_schema()'
          : 'select table_name as name from information_schema.tables where table_schema = database()'
    return (await db.sql<{ name: string }>(query)).map((row) => row.name).sort()
  }

  beforeAll(async () => {
    db = await isolatedOrm(name, [NoteSchema])
    // Start empty: isolatedOrm created the shipped tables with opencodeDdl.
    await db.sql('drop table opencode_messages')
    await db.sql('drop table opencode_subjects')
  })
  afterAll(async () => {
    await db.drop()
  })

  it('creates exactly the two opencode tables, then finds nothing left to do', async () => {
    const sql = await opencodeSchemaSql(db.orm)
    expect(sql).toMatch(/create table/i)
    expect(sql).not.toMatch(/host_notes/)
    await createOpencodeSchema(db.orm)
    const created = await tables()
    expect(created).toEqual(expect.arrayContaining(['opencode_messages', 'opencode_subjects']))
    expect(created).not.toContain('host_notes')
    expect(await opencodeSchemaSql(db.orm)).toBe('')
    await createOpencodeSchema(db.orm) // a second run is a no-op
  })

  it('gives working tables: entities, raw inserts with database defaults, locks, transitions', async () => {
    const { records, messages } = mikroOrmAdapter(db.orm)
    const em = db.orm.em.fork()
    const subject = em.create(OpencodeSubjectSchema, { title: 'From the entity' })
    await em.flush()
    const rawSubject = await db.insert('opencode_subjects', { title: 'From SQL' })
    await records.withLock(subject.id, (_row, locked) => locked.setSessionId('ses_schema'))
    await expect(records.setSessionId(rawSubject, 'ses_schema')).rejects.toBeInstanceOf(UniqueViolationError)

    const reply = em.create(OpencodeMessageSchema, { subjectId: subject.id })
    await em.flush()
    expect((await messages.load(reply.id)).status).toBe('pending') // the column default
    const parts = [{ type: 'text', content: 'ok' }]
    expect(await messages.finalize(reply.id, { content: 'ok', parts: parts, cost: 0.125 })).toBe(true)
    expect(await messages.load(reply.id)).toMatchObject({
      status: 'completed',
      parts: parts,
      cost: 0.125,
    })
    const [raw] = await db.sql<{ parts_json: unknown }>(
      'select parts_json from opencode_messages where id = ?',
      [reply.id],
    )
    const stored = typeof raw?.parts_json === 'string' ? JSON.parse(raw.parts_json) : raw?.parts_json
    expect(stored).toEqual(parts)
  })

  it('adds a missing messages table next to an existing subjects table, keeping its rows', async () => {
    const kept = await db.insert('opencode_subjects', { title: 'kept' })
    await db.sql('drop table opencode_messages')
    expect(await opencodeSchemaSql(db.orm)).toMatch(/opencode_messages/)
    await createOpencodeSchema(db.orm)
    expect(await tables()).toEqual(expect.arrayContaining(['opencode_messages', 'opencode_subjects']))
    expect((await mikroOrmAdapter(db.orm).records.load(kept)).title).toBe('kept')
    const messageId = await db.insert('opencode_messages', { subject_id: kept })
    expect(await mikroOrmAdapter(db.orm).messages.cancel(messageId)).toBe(true)
  })
})
