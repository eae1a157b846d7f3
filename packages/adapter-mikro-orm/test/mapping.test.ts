// The ports mapped onto a host's own entities (other names, a missing optional property), and
// snapshots that never fire the host entity's lifecycle hooks.
import { EntitySchema } from '@mikro-orm/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mikroOrmAdapter } from '../src/index.js'
import { DATABASES, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'

interface Conversation {
  key: number
  name: string | null
  agentSession: string | null
}
interface Reply {
  key: number
  state: string
  body: string | null
  parts: unknown[] | null
  price: string | null
}

let hookRuns = 0
const ConversationSchema = new EntitySchema<Conversation>({
  name: 'Conversation',
  tableName: 'conversations',
  properties: {
    key: { type: 'integer', primary: true, autoincrement: true },
    name: { type: 'string', nullable: true },
    agentSession: { type: 'string', nullable: true, unique: true, fieldName: 'agent_session' },
  },
})
const ReplySchema = new EntitySchema<Reply>({
  name: 'Reply',
  tableName: 'replies',
  hooks: { beforeUpdate: [() => void hookRuns++], afterUpdate: [() => void hookRuns++] },
  properties: {
    key: { type: 'integer', primary: true, autoincrement: true },
    state: { type: 'string', default: 'pending' },
    body: { type: 'text', nullable: true },
    parts: { type: 'json', nullable: true },
    price: { type: 'decimal', precision: 10, scale: 4, nullable: true },
  },
})

describe.each(DATABASES)('adapter-mikro-orm mapped onto host entities on %s', (name) => {
  let db: IsolatedOrm
  beforeAll(async () => {
    db = await isolatedOrm(name, [ConversationSchema, ReplySchema])
    const q = (identifier: string) => (name === 'mariadb' ? `\`${identifier}\`` : `"${identifier}"`)
    const serial = {
      sqlite: 'integer primary key autoincrement',
      postgres: 'serial primary key',
      mariadb: 'int not null auto_increment primary key',
    }[name]
    const parts = { sqlite: 'text', postgres: 'jsonb', mariadb: 'longtext' }[name]
    await db.sql(
      `create table conversations (${q('key')} ${serial}, name text null, agent_session varchar(255) null unique)`,
    )
    await db.sql(
      `create table replies (${q('key')} ${serial}, state varchar(16) not null default 'pending', body text null, parts ${parts} null, price decimal(10,4) null)`,
    )
  })
  afterAll(async () => {
    await db.drop()
  })

  const adapter = () =>
    mikroOrmAdapter(db.orm, {
      subjects: {
        entity: 'Conversation',
        columns: { id: 'key', title: 'name', opencodeSessionId: 'agent_session' },
      },
      messages: {
        entity: 'Reply',
        columns: {
          id: 'key',
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
          opencodeSessionId: null,
          opencodeMessageId: null,
          requests: null,
          updatedAt: null,
        },
      },
    })

  it('reads and writes through the mapped names; absent properties read null and are skipped', async () => {
    const { records, messages } = adapter()
    const subjectId = await db.insert('conversations', { name: 'Trip' }, 'key')
    await records.withLock(subjectId, (_row, locked) => locked.setSessionId('ses_mapped'))
    expect(await records.load(subjectId)).toMatchObject({ title: 'Trip', opencodeSessionId: 'ses_mapped' })
    const replyId = await db.insert('replies', { state: 'pending' }, 'key')
    expect(
      await messages.finalize(replyId, {
        content: 'done',
        parts: [{ type: 'text', content: 'done' }],
        cost: 0.25,
        reasoning: 'ignored',
      }),
    ).toBe(true)
    const row = await messages.load(replyId)
    expect(row).toMatchObject({
      status: 'completed',
      content: 'done',
      cost: 0.25,
      reasoning: null,
      toolCalls: null,
    })
    expect(row.parts).toEqual([{ type: 'text', content: 'done' }])
  })

  it("snapshot and touchActivity never run the entity's lifecycle hooks", async () => {
    const { messages } = adapter()
    const replyId = await db.insert('replies', { state: 'pending' }, 'key')
    hookRuns = 0
    expect(await messages.snapshot(replyId, { content: 'so far' })).toBe(true)
    await messages.touchActivity(replyId, new Date())
    expect(hookRuns).toBe(0)
    expect((await messages.load(replyId)).content).toBe('so far')
  })
})
