// The app's entity filters do not reach the ports: a default soft-delete filter does not hide the
// row a turn was handed, and a default tenant filter that needs arguments does not make every port
// call throw. The ports address one row by primary key, as Rails' update_columns ignores scopes.
import { EntitySchema } from '@mikro-orm/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mikroOrmAdapter } from '../src/index.js'
import { DATABASES, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'

interface Chat {
  id: number
  tenant: string
  title: string | null
  sessionId: string | null
}
interface Answer {
  id: number
  hidden: boolean
  status: string
  content: string | null
}

const ChatSchema = new EntitySchema<Chat>({
  name: 'Chat',
  tableName: 'chats',
  filters: {
    tenant: { name: 'tenant', cond: (args: { tenant: string }) => ({ tenant: args.tenant }), default: true },
  },
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    tenant: { type: 'string' },
    title: { type: 'string', nullable: true },
    sessionId: { type: 'string', nullable: true, fieldName: 'session_id' },
  },
})
const AnswerSchema = new EntitySchema<Answer>({
  name: 'Answer',
  tableName: 'answers',
  filters: { visible: { name: 'visible', cond: { hidden: false }, default: true } },
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    hidden: { type: 'boolean', default: false },
    status: { type: 'string', default: 'pending' },
    content: { type: 'text', nullable: true },
  },
})

describe.each(DATABASES)('adapter-mikro-orm ignores entity filters on %s', (name) => {
  let db: IsolatedOrm
  beforeAll(async () => {
    db = await isolatedOrm(name, [ChatSchema, AnswerSchema])
    const serial = {
      sqlite: 'integer primary key autoincrement',
      postgres: 'serial primary key',
      mariadb: 'int not null auto_increment primary key',
    }[name]
    await db.sql(
      `create table chats (id ${serial}, tenant varchar(32) not null, title varchar(255) null, session_id varchar(255) null)`,
    )
    await db.sql(
      `create table answers (id ${serial}, hidden boolean not null default false, status varchar(16) not null default 'pending', content text null)`,
    )
  })
  afterAll(async () => {
    await db.drop()
  })

  const adapter = () =>
    mikroOrmAdapter(db.orm, {
      subjects: { entity: 'Chat', columns: { opencodeSessionId: 'session_id' } },
      messages: {
        entity: 'Answer',
        columns: {
          reasoning: null,
          parts: null,
          toolCalls: null,
          cost: null,
          inputTokens: null,
          outputTokens: null,
          cacheReadTokens: null,
          cacheWriteTokens: null,
          lastActivityAt: null,
          opencodeSessionId: null,
          opencodeMessageId: null,
          requests: null,
          updatedAt: null,
        },
      },
    })

  it('the filters are live: a plain em.findOne without arguments throws or hides the rows', async () => {
    const chatId = await db.insert('chats', { tenant: 'acme', title: 'Trip' })
    const answerId = await db.insert('answers', { hidden: true })
    await expect(db.orm.em.fork().findOne('Chat', { id: chatId })).rejects.toThrow(/tenant/)
    expect(await db.orm.em.fork().findOne('Answer', { id: answerId })).toBeNull()
  })

  it('records: load, withLock and setSessionId need no filter arguments', async () => {
    const { records } = adapter()
    const chatId = await db.insert('chats', { tenant: 'acme', title: 'Trip' })
    expect(await records.load(chatId)).toMatchObject({ title: 'Trip', opencodeSessionId: null })
    await records.withLock(chatId, (row, locked) => {
      expect(row.title).toBe('Trip')
      return locked.setSessionId(`ses_filtered_${name}`)
    })
    await records.setSessionId(chatId, `ses_filtered2_${name}`)
    expect((await records.load(chatId)).opencodeSessionId).toBe(`ses_filtered2_${name}`)
  })

  it('messages: a soft-deleted (filtered-out) row is still loaded, snapshotted and finalized', async () => {
    const { messages } = adapter()
    const answerId = await db.insert('answers', { hidden: true })
    expect(await messages.snapshot(answerId, { content: 'so far' })).toBe(true)
    expect(await messages.snapshot(answerId, {})).toBe(true)
    expect(await messages.finalize(answerId, { content: 'done' })).toBe(true)
    expect(await messages.load(answerId)).toMatchObject({ status: 'completed', content: 'done' })
    const other = await db.insert('answers', { hidden: true })
    expect(await messages.cancel(other)).toBe(true)
    await messages.update(other, { content: 'partial' })
    expect(await messages.load(other)).toMatchObject({ status: 'cancelled', content: 'partial' })
  })
})
