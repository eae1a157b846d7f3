// The ports on the user's own schema: a model with other attribute names, and a plain table with
// other column names (text columns for the JSON lists, no timestamps), on every database.
import type { RowId } from '@opencode-kit/core'
import { UniqueViolationError } from '@opencode-kit/core/adapter'
import { DataTypes, QueryTypes, type Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sequelizeAdapter } from '../src/index.js'
import { DATABASES, type IsolatedDatabase, isolatedDatabase } from './support/isolatedDatabases.js'

describe.each(DATABASES)('adapter-sequelize mapping onto existing schemas on %s', (name) => {
  let db: IsolatedDatabase
  let sequelize: Sequelize

  beforeAll(async () => {
    db = await isolatedDatabase(name)
    sequelize = db.connect()
  })
  afterAll(() => db.drop())

  it("user's own models with other attribute names (camelCase attrs on custom columns)", async () => {
    const Conversation = sequelize.define(
      'Conversation',
      {
        name: { type: DataTypes.STRING },
        agentSessionId: { type: DataTypes.STRING, unique: true, field: 'agent_session' },
      },
      { tableName: 'conversations' },
    )
    const Reply = sequelize.define(
      'Reply',
      {
        state: { type: DataTypes.STRING, allowNull: false, defaultValue: 'pending' },
        body: DataTypes.TEXT,
        thinking: DataTypes.TEXT,
        parts: DataTypes.TEXT,
        tools: DataTypes.TEXT,
        price: DataTypes.DECIMAL(12, 6),
        tokensIn: DataTypes.INTEGER,
        tokensOut: DataTypes.INTEGER,
        seenAt: DataTypes.DATE,
      },
      { tableName: 'replies' },
    )
    await Conversation.sync()
    await Reply.sync()
    // Columns, as in every adapter: the adapter finds the attributes mapped to them.
    const { records, messages } = sequelizeAdapter(sequelize, {
      subjects: { model: Conversation, columns: { title: 'name', opencodeSessionId: 'agent_session' } },
      messages: {
        model: Reply,
        columns: {
          status: 'state',
          content: 'body',
          reasoning: 'thinking',
          parts: 'parts',
          toolCalls: 'tools',
          cost: 'price',
          inputTokens: 'tokensIn',
          outputTokens: 'tokensOut',
          lastActivityAt: 'seenAt',
          cacheReadTokens: null,
          cacheWriteTokens: null,
          opencodeSessionId: null,
          opencodeMessageId: null,
          requests: null,
        },
      },
    })
    const a = (await Conversation.create({ name: 'Mine' })).get('id') as RowId
    const b = (await Conversation.create({ name: 'Other' })).get('id') as RowId
    expect(await records.load(a)).toEqual({ id: a, title: 'Mine', opencodeSessionId: null })
    await records.withLock(a, (_row, locked) => locked.setSessionId('ses_a'))
    await expect(records.setSessionId(b, 'ses_a')).rejects.toBeInstanceOf(UniqueViolationError)
    expect((await Conversation.findByPk(a))?.get('agentSessionId')).toBe('ses_a')

    const id = (await Reply.create({})).get('id') as RowId
    expect(await messages.snapshot(id, { content: 'Hi', parts: [{ type: 'text', content: 'Hi' }] })).toBe(
      true,
    )
    expect(await messages.finalize(id, { content: 'Hi!', cost: 1.25, inputTokens: 3, toolCalls: [] })).toBe(
      true,
    )
    const row = await messages.load(id)
    expect(row).toMatchObject({ status: 'completed', content: 'Hi!', cost: 1.25, inputTokens: 3 })
    expect(row.parts).toEqual([{ type: 'text', content: 'Hi' }])
    expect(row.toolCalls).toEqual([])
    // Stored as JSON text in the TEXT column.
    const raw = await sequelize.query<{ parts: string }>('SELECT parts FROM replies WHERE id = ?', {
      replacements: [id],
      type: QueryTypes.SELECT,
    })
    expect(JSON.parse(raw[0]?.parts ?? 'null')).toEqual([{ type: 'text', content: 'Hi' }])
  })

  it('a column the model lacks is a configuration error naming it', () => {
    const Thread = sequelize.define('Thread', { name: DataTypes.STRING }, { tableName: 'threads' })
    expect(() =>
      sequelizeAdapter(sequelize, { subjects: { model: Thread, columns: { title: 'name' } } }),
    ).toThrow(/model Thread has no column opencode_session_id for opencodeSessionId/)
  })

  it('a plain table with other column names and no timestamps (table + columns)', async () => {
    const qi = sequelize.getQueryInterface()
    await qi.createTable('tickets', {
      ticket_id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      subject_line: DataTypes.TEXT,
      oc_session: { type: DataTypes.STRING(255), unique: true },
    })
    await qi.createTable('ticket_replies', {
      reply_id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      state: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      body: DataTypes.TEXT,
      parts_json: DataTypes.TEXT,
    })
    const { records, messages } = sequelizeAdapter(sequelize, {
      subjects: {
        table: 'tickets',
        columns: { id: 'ticket_id', title: 'subject_line', opencodeSessionId: 'oc_session' },
      },
      messages: {
        table: 'ticket_replies',
        columns: {
          id: 'reply_id',
          status: 'state',
          content: 'body',
          reasoning: null,
          toolCalls: null,
          cost: null,
          inputTokens: null,
          outputTokens: null,
          cacheReadTokens: null,
          cacheWriteTokens: null,
          opencodeSessionId: null,
          opencodeMessageId: null,
          requests: null,
          lastActivityAt: null,
          updatedAt: null,
        },
      },
    })
    await sequelize.query("INSERT INTO tickets (subject_line) VALUES ('Printer on fire')")
    await sequelize.query('INSERT INTO ticket_replies (body) VALUES (NULL)')
    const [ticket] = await sequelize.query<{ ticket_id: number }>('SELECT ticket_id FROM tickets', {
      type: QueryTypes.SELECT,
    })
    const [reply] = await sequelize.query<{ reply_id: number }>('SELECT reply_id FROM ticket_replies', {
      type: QueryTypes.SELECT,
    })
    const ticketId = ticket?.ticket_id as number
    const replyId = reply?.reply_id as number
    const sessionId = await records.withLock(ticketId, async (row, locked) => {
      expect(row.title).toBe('Printer on fire')
      await locked.setSessionId('ses_ticket')
      return 'ses_ticket'
    })
    expect((await records.load(ticketId)).opencodeSessionId).toBe(sessionId)
    expect(await messages.snapshot(replyId, { parts: [{ type: 'text', content: 'On it' }] })).toBe(true)
    await messages.touchActivity(replyId, new Date())
    expect(await messages.finalize(replyId, { content: 'On it', cost: 2, reasoning: 'dropped' })).toBe(true)
    expect(await messages.load(replyId)).toMatchObject({
      status: 'completed',
      content: 'On it',
      reasoning: null,
      cost: null,
      lastActivityAt: null,
      parts: [{ type: 'text', content: 'On it' }],
    })
  })
})
