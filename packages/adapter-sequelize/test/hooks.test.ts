// snapshot is the Rails `update_columns`: a user's afterUpdate hook must NOT fire per streamed
// event; it fires once, for the call that moved the row to a terminal status (never for a loser).
import type { RowId } from '@opencode-kit/core'
import type { Model, Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  defineOpencodeModels,
  opencodeMigration,
  type SequelizeAdapter,
  sequelizeAdapter,
} from '../src/index.js'
import { DATABASES, type IsolatedDatabase, isolatedDatabase } from './support/isolatedDatabases.js'

describe.each(DATABASES)('adapter-sequelize model hooks on %s', (name) => {
  let db: IsolatedDatabase
  let sequelize: Sequelize
  let adapter: SequelizeAdapter
  let models: ReturnType<typeof defineOpencodeModels>
  const fired: Array<{ id: RowId; status: unknown; content: unknown; fields: unknown }> = []
  const bulk: string[] = []

  beforeAll(async () => {
    db = await isolatedDatabase(name)
    sequelize = db.connect()
    await opencodeMigration.up({ context: sequelize.getQueryInterface() })
    models = defineOpencodeModels(sequelize)
    models.Message.addHook('afterUpdate', (instance: Model, options: { fields?: string[] }) => {
      fired.push({
        id: instance.get('id') as RowId,
        status: instance.get('status'),
        content: instance.get('content'),
        fields: options.fields,
      })
    })
    models.Message.addHook('afterBulkUpdate', () => {
      bulk.push('afterBulkUpdate')
    })
    adapter = sequelizeAdapter(sequelize, {
      subjects: { model: models.Subject },
      messages: { model: models.Message },
    })
  })
  afterAll(() => db.drop())

  async function message(): Promise<RowId> {
    const subject = await models.Subject.create({ title: 'hooks' })
    return (await models.Message.create({ subjectId: subject.get('id') })).get('id') as RowId
  }

  it('snapshot and touchActivity fire no hook (neither afterUpdate nor afterBulkUpdate)', async () => {
    fired.length = 0
    bulk.length = 0
    const id = await message()
    for (const content of ['H', 'He', 'Hel']) await adapter.messages.snapshot(id, { content })
    await adapter.messages.touchActivity(id, new Date())
    expect(fired).toEqual([])
    expect(bulk).toEqual([])
    expect((await adapter.messages.load(id)).content).toBe('Hel')
  })

  it('a winning finalize fires afterUpdate once with the final row; the losing cancel fires nothing', async () => {
    fired.length = 0
    const id = await message()
    await adapter.messages.snapshot(id, { content: 'partial' })
    expect(await adapter.messages.finalize(id, { content: 'Hello', cost: 0.5 })).toBe(true)
    expect(await adapter.messages.cancel(id)).toBe(false)
    expect(fired).toHaveLength(1)
    expect(fired[0]).toMatchObject({ id, status: 'completed', content: 'Hello' })
    expect(fired[0]?.fields).toEqual(expect.arrayContaining(['content', 'cost', 'status']))
  })

  it('cancel, error and update fire afterUpdate for the row they wrote', async () => {
    fired.length = 0
    const cancelled = await message()
    const errored = await message()
    await adapter.messages.cancel(cancelled)
    await adapter.messages.update(cancelled, { content: 'what it had' })
    await adapter.messages.error(errored, 'boom')
    expect(fired.map((f) => [f.id, f.status, f.content])).toEqual([
      [cancelled, 'cancelled', null],
      [cancelled, 'cancelled', 'what it had'],
      [errored, 'error', 'boom'],
    ])
  })
})
