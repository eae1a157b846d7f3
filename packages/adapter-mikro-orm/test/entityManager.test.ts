// The adapter on a caller's EntityManager: it forks per call (the caller's identity map and
// transaction are never used), hands out JSON-safe ids, and answers snapshots correctly on a MySQL
// connection that counts changed rather than matched rows.
import { MikroORM } from '@mikro-orm/core'
import { MariaDbDriver } from '@mikro-orm/mariadb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineOpencodeEntities, mikroOrmAdapter } from '../src/index.js'
import { DATABASES, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'

describe.each(DATABASES)('adapter-mikro-orm on an EntityManager (%s)', (name) => {
  let db: IsolatedOrm
  beforeAll(async () => {
    db = await isolatedOrm(name)
  })
  afterAll(async () => {
    await db.drop()
  })

  it('accepts orm.em or a fork and leaves that EntityManager untouched', async () => {
    const subjectId = await db.insert('opencode_subjects', { title: 'em' })
    const messageId = await db.insert('opencode_messages', { subject_id: subjectId })
    const callerEm = db.orm.em.fork()
    const { records, messages } = mikroOrmAdapter(callerEm)
    await records.withLock(subjectId, (_row, locked) => locked.setSessionId('ses_em'))
    expect(await messages.snapshot(messageId, { content: 'so far' })).toBe(true)
    expect(await messages.finalize(messageId, { content: 'done', cost: 0.5 })).toBe(true)
    expect(callerEm.getUnitOfWork().getIdentityMap().values()).toHaveLength(0)
    expect(await records.load(subjectId)).toMatchObject({ opencodeSessionId: 'ses_em' })
    expect(await messages.load(messageId)).toMatchObject({ status: 'completed', content: 'done', cost: 0.5 })
  })

  it('reads fresh rows even when the caller holds a stale entity in its identity map', async () => {
    const { OpencodeMessageSchema } = defineOpencodeEntities()
    const subjectId = await db.insert('opencode_subjects', { title: 'stale' })
    const messageId = await db.insert('opencode_messages', { subject_id: subjectId })
    const callerEm = db.orm.em.fork()
    const stale = await callerEm.findOneOrFail(OpencodeMessageSchema.meta.className, { id: messageId })
    const { messages } = mikroOrmAdapter(callerEm)
    await messages.cancel(messageId)
    expect((stale as { status: string }).status).toBe('pending')
    expect((await messages.load(messageId)).status).toBe('cancelled')
  })

  it('hands out ids as numbers, so rows survive JSON (job payloads, API responses)', async () => {
    const subjectId = await db.insert('opencode_subjects', { title: 'ids' })
    const messageId = await db.insert('opencode_messages', { subject_id: subjectId })
    const { records, messages } = mikroOrmAdapter(db.orm)
    const subject = await records.load(subjectId)
    const message = await messages.load(messageId)
    expect(subject.id).toBe(subjectId)
    expect(message.id).toBe(messageId)
    expect(JSON.parse(JSON.stringify({ subject, message }))).toMatchObject({
      subject: { id: subjectId },
      message: { id: messageId },
    })
  })
})

describe('adapter-mikro-orm on MariaDB counting changed rows (foundRows: false)', () => {
  let db: IsolatedOrm
  let orm: MikroORM
  beforeAll(async () => {
    db = await isolatedOrm('mariadb')
    const { OpencodeSubjectSchema, OpencodeMessageSchema } = defineOpencodeEntities()
    orm = await MikroORM.init({
      driver: MariaDbDriver,
      clientUrl: db.spec.target,
      entities: [OpencodeSubjectSchema, OpencodeMessageSchema],
      driverOptions: { connection: { foundRows: false } },
    })
  })
  afterAll(async () => {
    await orm.close()
    await db.drop()
  })

  it('a snapshot repeating the stored text still answers true while pending, false after', async () => {
    const subjectId = await db.insert('opencode_subjects', { title: 'rows' })
    const messageId = await db.insert('opencode_messages', { subject_id: subjectId })
    const { messages } = mikroOrmAdapter(orm)
    expect(await messages.snapshot(messageId, { content: 'same' })).toBe(true)
    expect(await messages.snapshot(messageId, { content: 'same' })).toBe(true)
    expect(await messages.snapshot(messageId, {})).toBe(true)
    expect(await messages.cancel(messageId)).toBe(true)
    expect(await messages.snapshot(messageId, { content: 'same' })).toBe(false)
    expect(await messages.snapshot(messageId, {})).toBe(false)
  })
})
