// Mapping onto the host's own tables/columns (absent optional columns skipped) and the shipped
// migration source (custom table names, up and down) on SQLite, PostgreSQL and MariaDB.
import type { Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { knexAdapter, opencodeMigrations } from '../src/index.js'
import { DATABASES, type IsolatedKnex, isolatedKnex } from './support/isolatedKnex.js'

describe.each(DATABASES)('adapter-knex mapping and migrations on %s', (name) => {
  let db: IsolatedKnex
  let knex: Knex

  beforeAll(async () => {
    db = await isolatedKnex(name)
    knex = db.knex
  })
  afterAll(async () => {
    await db.drop()
  })

  it('opencodeMigrations creates and drops tables under custom names', async () => {
    const migrationSource = opencodeMigrations({ subjectsTable: 'trips', messagesTable: 'trip_messages' })
    await knex.migrate.latest({ migrationSource, tableName: 'kx_migrations' })
    expect(await knex.schema.hasTable('trips')).toBe(true)
    expect(await knex.schema.hasColumn('trip_messages', 'parts_json')).toBe(true)
    expect(await knex.schema.hasColumn('trips', 'opencode_session_id')).toBe(true)
    await knex.migrate.rollback({ migrationSource, tableName: 'kx_migrations' }, true)
    expect(await knex.schema.hasTable('trips')).toBe(false)
  })

  it("maps onto the user's own tables and columns, skipping columns the host lacks", async () => {
    await knex.schema.createTable('conversations', (t) => {
      t.increments('pk')
      t.string('name').nullable()
      t.string('agent_session', 255).nullable().unique()
    })
    await knex.schema.createTable('replies', (t) => {
      t.increments('pk')
      t.string('state', 16).notNullable().defaultTo('pending')
      t.text('body').nullable()
      t.text('parts').nullable()
      t.float('price').nullable()
    })
    const { records, messages } = knexAdapter(knex, {
      subjects: {
        table: 'conversations',
        columns: { id: 'pk', title: 'name', opencodeSessionId: 'agent_session' },
      },
      messages: {
        table: 'replies',
        columns: {
          id: 'pk',
          status: 'state',
          content: 'body',
          parts: 'parts',
          cost: 'price',
          reasoning: null,
          toolCalls: null,
          inputTokens: null,
          outputTokens: null,
          cacheReadTokens: null,
          cacheWriteTokens: null,
          lastActivityAt: null,
          updatedAt: null,
        },
      },
    })
    await knex('conversations').insert({ name: 'Mine' })
    const [subject] = await knex('conversations').select('pk')
    await records.withLock(subject.pk, (_row, locked) => locked.setSessionId('ses_mapped'))
    expect(await records.load(subject.pk)).toMatchObject({ title: 'Mine', opencodeSessionId: 'ses_mapped' })

    await knex('replies').insert({})
    const [reply] = await knex('replies').select('pk')
    await messages.touchActivity(reply.pk, new Date())
    const parts = [{ type: 'text', content: 'hello' }]
    expect(
      await messages.finalize(reply.pk, {
        content: 'hello',
        parts: parts,
        cost: 0.5,
        inputTokens: 9,
        reasoning: 'r',
      }),
    ).toBe(true)
    expect(await messages.load(reply.pk)).toMatchObject({
      status: 'completed',
      content: 'hello',
      parts: parts,
      cost: 0.5,
      inputTokens: null,
      reasoning: null,
      lastActivityAt: null,
    })
    const [raw] = await knex('replies').where('pk', reply.pk)
    expect(JSON.parse(raw.parts)).toEqual(parts)
  })
})
