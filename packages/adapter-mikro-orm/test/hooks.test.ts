// Mid-stream writes are hook-free on the shipped entities too: an EventSubscriber counting every
// entity and flush event sees nothing from snapshot and touchActivity (nor from the CAS
// transitions and the lock's transaction), while an ordinary flush of the same entity is counted.
import {
  type EventArgs,
  type EventSubscriber,
  type FlushEventArgs,
  MikroORM,
  type TransactionEventArgs,
} from '@mikro-orm/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineOpencodeEntities, mikroOrmAdapter } from '../src/index.js'
import { connectOrmOptions, DATABASES, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'

class CountingSubscriber implements EventSubscriber {
  events: string[] = []
  beforeCreate = (args: EventArgs<unknown>) => void this.events.push(`beforeCreate ${args.meta.className}`)
  beforeUpdate = (args: EventArgs<unknown>) => void this.events.push(`beforeUpdate ${args.meta.className}`)
  afterUpdate = (args: EventArgs<unknown>) => void this.events.push(`afterUpdate ${args.meta.className}`)
  beforeUpsert = (args: EventArgs<unknown>) => void this.events.push(`beforeUpsert ${args.meta.className}`)
  beforeFlush = (_args: FlushEventArgs) => void this.events.push('beforeFlush')
  onFlush = (_args: FlushEventArgs) => void this.events.push('onFlush')
  afterFlush = (_args: FlushEventArgs) => void this.events.push('afterFlush')
  beforeTransactionStart = (_args: TransactionEventArgs) => void this.events.push('beforeTransactionStart')
  afterTransactionCommit = (_args: TransactionEventArgs) => void this.events.push('afterTransactionCommit')
}

describe.each(DATABASES)('hook-free writes on the shipped entities (%s)', (name) => {
  let db: IsolatedOrm
  let orm: MikroORM
  const counter = new CountingSubscriber()
  beforeAll(async () => {
    db = await isolatedOrm(name)
    orm = await MikroORM.init({ ...connectOrmOptions(db.spec), subscribers: [counter] })
  })
  afterAll(async () => {
    await orm.close()
    await db.drop()
  })

  it('withLock, setSessionId, snapshot, touchActivity, finalize, cancel and update fire no lifecycle or flush event', async () => {
    const subjectId = await db.insert('opencode_subjects', { title: 'hooks' })
    const first = await db.insert('opencode_messages', { subject_id: subjectId })
    const second = await db.insert('opencode_messages', { subject_id: subjectId })
    const { records, messages } = mikroOrmAdapter(orm)
    counter.events = []
    await records.withLock(subjectId, (_row, locked) => locked.setSessionId(`ses_hooks_${name}`))
    await records.setSessionId(subjectId, `ses_hooks2_${name}`)
    expect(
      await messages.snapshot(first, { content: 'so far', parts: [{ type: 'text', content: 'so' }] }),
    ).toBe(true)
    await messages.touchActivity(first, new Date())
    expect(await messages.finalize(first, { content: 'done', cost: 0.1 })).toBe(true)
    expect(await messages.cancel(second)).toBe(true)
    await messages.update(second, { content: 'partial' })
    expect(counter.events).toEqual([])
    expect((await messages.load(first)).content).toBe('done')
  })

  it('the counter does see an ordinary flush of the same entity (so the test above can fail)', async () => {
    const { OpencodeMessageSchema } = defineOpencodeEntities()
    const subjectId = await db.insert('opencode_subjects', { title: 'flush' })
    const id = await db.insert('opencode_messages', { subject_id: subjectId })
    const em = orm.em.fork()
    const entity = await em.findOneOrFail(OpencodeMessageSchema.meta.className, { id })
    counter.events = []
    ;(entity as { content: string | null }).content = 'flushed'
    await em.flush()
    expect(counter.events).toContain('beforeUpdate OpencodeMessage')
  })
})
