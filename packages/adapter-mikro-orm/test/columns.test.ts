// The ports mapped onto a host's own tables by table and column names (knexAdapter's option shape),
// translated through the ORM metadata to the host entity's properties; JSON in a text property;
// snapshots that skip the entity's lifecycle hooks while an ordinary flush runs them.
import { EntitySchema, MikroORM } from '@mikro-orm/core'
import { InvalidArgumentError } from '@opencode-kit/core'
import { UniqueViolationError } from '@opencode-kit/core/adapter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mikroOrmAdapter } from '../src/index.js'
import { DATABASES, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'

interface Chat {
  pk: number
  heading: string | null
  agentSessionRef: string | null
}
interface ChatReply {
  pk: number
  phase: string
  text: string | null
  partsText: string | null
  usd: string | null
  seenAt: Date | null
  changedAt: Date | null
}

const hooks = { beforeUpdate: 0, onUpdate: 0 }
const ChatSchema = new EntitySchema<Chat>({
  name: 'Chat',
  tableName: 'host_chats',
  properties: {
    pk: { type: 'integer', primary: true, autoincrement: true, fieldName: 'chat_pk' },
    heading: { type: 'text', nullable: true, fieldName: 'chat_heading' },
    agentSessionRef: { type: 'string', nullable: true, unique: true, fieldName: 'agent_ref' },
  },
})
const ChatReplySchema = new EntitySchema<ChatReply>({
  name: 'ChatReply',
  tableName: 'host_chat_replies',
  hooks: { beforeUpdate: [() => void hooks.beforeUpdate++] },
  properties: {
    pk: { type: 'integer', primary: true, autoincrement: true, fieldName: 'reply_pk' },
    phase: { type: 'string', fieldName: 'reply_phase' },
    text: { type: 'text', nullable: true, fieldName: 'reply_text' },
    // JSON kept as text by the host: the adapter writes JSON text and parses it on read.
    partsText: { type: 'text', nullable: true, fieldName: 'reply_parts' },
    usd: { type: 'decimal', precision: 10, scale: 4, nullable: true, fieldName: 'reply_usd' },
    seenAt: { type: 'Date', nullable: true, fieldName: 'reply_seen_at' },
    changedAt: {
      type: 'Date',
      nullable: true,
      fieldName: 'reply_changed_at',
      onUpdate: () => {
        hooks.onUpdate++
        return new Date()
      },
    },
  },
})

const ddl = (name: (typeof DATABASES)[number]) => {
  const pk =
    name === 'postgres'
      ? 'serial primary key'
      : name === 'mariadb'
        ? 'int not null auto_increment primary key'
        : 'integer primary key autoincrement'
  const ts = name === 'postgres' ? 'timestamptz' : 'datetime'
  return [
    `create table host_chats (chat_pk ${pk}, chat_heading text null, agent_ref varchar(255) null unique)`,
    `create table host_chat_replies (reply_pk ${pk}, reply_phase varchar(16) not null default 'pending', reply_text text null, reply_parts text null, reply_usd decimal(10,4) null, reply_seen_at ${ts} null, reply_changed_at ${ts} null)`,
  ]
}

const options = {
  subjects: {
    table: 'host_chats',
    columns: { id: 'chat_pk', title: 'chat_heading', opencodeSessionId: 'agent_ref' },
  },
  messages: {
    table: 'host_chat_replies',
    columns: {
      id: 'reply_pk',
      status: 'reply_phase',
      content: 'reply_text',
      parts: 'reply_parts',
      cost: 'reply_usd',
      lastActivityAt: 'reply_seen_at',
      updatedAt: 'reply_changed_at',
      reasoning: null,
      toolCalls: null,
      inputTokens: null,
      outputTokens: null,
      cacheReadTokens: null,
      cacheWriteTokens: null,
      opencodeSessionId: null,
      opencodeMessageId: null,
      requests: null,
    },
  },
}

describe.each(DATABASES)('adapter-mikro-orm mapped by table and column names on %s', (name) => {
  let db: IsolatedOrm
  beforeAll(async () => {
    db = await isolatedOrm(name, [ChatSchema, ChatReplySchema])
    for (const sql of ddl(name)) await db.sql(sql)
  })
  afterAll(async () => {
    await db.drop()
  })

  it('reads and writes the named columns; JSON goes into the text column as JSON text', async () => {
    const { records, messages } = mikroOrmAdapter(db.orm, options)
    const chatId = await db.insert('host_chats', { chat_heading: 'Lisbon' }, 'chat_pk')
    await records.withLock(chatId, (row, locked) => {
      expect(row).toEqual({ id: chatId, title: 'Lisbon', opencodeSessionId: null })
      return locked.setSessionId('ses_columns')
    })
    const [chat] = await db.sql<{ agent_ref: string }>('select agent_ref from host_chats where chat_pk = ?', [
      chatId,
    ])
    expect(chat?.agent_ref).toBe('ses_columns')

    const replyId = await db.insert('host_chat_replies', { reply_phase: 'pending' }, 'reply_pk')
    const parts = [{ type: 'text', content: 'Pack light.' }]
    expect(
      await messages.finalize(replyId, {
        content: 'Pack light.',
        parts: parts,
        cost: 0.5,
        reasoning: 'x',
      }),
    ).toBe(true)
    const [raw] = await db.sql<Record<string, unknown>>(
      'select * from host_chat_replies where reply_pk = ?',
      [replyId],
    )
    expect(raw?.reply_phase).toBe('completed')
    expect(typeof raw?.reply_parts).toBe('string')
    expect(JSON.parse(String(raw?.reply_parts))).toEqual(parts)
    expect(raw?.reply_changed_at).not.toBeNull()
    expect(await messages.load(replyId)).toMatchObject({
      id: replyId,
      status: 'completed',
      content: 'Pack light.',
      parts: parts,
      cost: 0.5,
      reasoning: null,
      toolCalls: null,
      inputTokens: null,
    })
  })

  it('maps the unique session column to UniqueViolationError', async () => {
    const { records } = mikroOrmAdapter(db.orm, options)
    const a = await db.insert('host_chats', { chat_heading: 'a' }, 'chat_pk')
    const b = await db.insert('host_chats', { chat_heading: 'b' }, 'chat_pk')
    await records.setSessionId(a, 'ses_taken')
    await expect(records.setSessionId(b, 'ses_taken')).rejects.toBeInstanceOf(UniqueViolationError)
  })

  it('snapshot and touchActivity run no lifecycle hook; an ordinary flush runs both', async () => {
    const { messages } = mikroOrmAdapter(db.orm, options)
    const replyId = await db.insert('host_chat_replies', { reply_phase: 'pending' }, 'reply_pk')
    hooks.beforeUpdate = 0
    hooks.onUpdate = 0
    expect(await messages.snapshot(replyId, { content: 'so far', parts: [] })).toBe(true)
    await messages.touchActivity(replyId, new Date('2026-01-02T03:04:05Z'))
    expect(hooks).toEqual({ beforeUpdate: 0, onUpdate: 0 })
    const row = await messages.load(replyId)
    expect(row).toMatchObject({ status: 'pending', content: 'so far', parts: [] })
    expect(row.lastActivityAt?.toISOString()).toBe('2026-01-02T03:04:05.000Z')
    const [raw] = await db.sql<Record<string, unknown>>(
      'select reply_changed_at from host_chat_replies where reply_pk = ?',
      [replyId],
    )
    expect(raw?.reply_changed_at ?? null).toBeNull() // snapshot never bumps updatedAt

    // The control: the same entity updated through the unit of work does run the hooks.
    const em = db.orm.em.fork()
    const entity = await em.findOneOrFail(ChatReplySchema, { pk: replyId })
    entity.text = 'edited by the host'
    await em.flush()
    expect(hooks).toEqual({ beforeUpdate: 1, onUpdate: 1 })
  })

  it('a snapshot after a terminal transition changes nothing', async () => {
    const { messages } = mikroOrmAdapter(db.orm, options)
    const replyId = await db.insert('host_chat_replies', { reply_phase: 'pending' }, 'reply_pk')
    expect(await messages.cancel(replyId)).toBe(true)
    expect(await messages.snapshot(replyId, { content: 'late' })).toBe(false)
    expect(await messages.load(replyId)).toMatchObject({ status: 'cancelled', content: null })
  })
})

describe('adapter-mikro-orm option resolution', () => {
  let orm: MikroORM
  beforeAll(async () => {
    const { BetterSqliteDriver } = await import('@mikro-orm/better-sqlite')
    orm = await MikroORM.init({
      driver: BetterSqliteDriver,
      dbName: ':memory:',
      entities: [ChatSchema, ChatReplySchema],
      discovery: { warnWhenNoEntities: false },
    })
  })
  afterAll(async () => {
    await orm.close()
  })

  it('names a table with no registered entity in an InvalidArgumentError', () => {
    expect(() => mikroOrmAdapter(orm)).toThrow(InvalidArgumentError)
    expect(() => mikroOrmAdapter(orm)).toThrow(/opencode_subjects/)
  })

  it('names a column the entity does not map', () => {
    const wrong = {
      ...options,
      subjects: { table: 'host_chats', columns: { ...options.subjects.columns, title: 'nope' } },
    }
    expect(() => mikroOrmAdapter(orm, wrong)).toThrow(/column nope/)
  })

  it('asks for null when an optional column of the shipped schema is missing', () => {
    const { reasoning: _omitted, ...columns } = options.messages.columns
    expect(() =>
      mikroOrmAdapter(orm, { ...options, messages: { table: 'host_chat_replies', columns } }),
    ).toThrow(/reasoning.*null/)
  })

  it('accepts an EntityManager and an entity by name as well', async () => {
    const { records } = mikroOrmAdapter(orm.em, {
      subjects: {
        entity: 'Chat',
        columns: { id: 'chat_pk', title: 'chat_heading', opencodeSessionId: 'agent_ref' },
      },
      messages: options.messages,
    })
    await orm.schema.createSchema()
    const em = orm.em.fork()
    const chat = em.create(ChatSchema, { heading: 'via em', agentSessionRef: null } as Chat)
    await em.flush()
    expect(await records.load(chat.pk)).toEqual({ id: chat.pk, title: 'via em', opencodeSessionId: null })
  })
})
