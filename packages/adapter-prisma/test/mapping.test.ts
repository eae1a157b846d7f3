// The ports on a host app's own Prisma models (SQLite): other model, table, field and column names,
// Int ids, JSON kept in a String field, optional fields the host lacks mapped to null — found
// through the client's data model from the same tables/columns options every adapter takes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgumentError, UniqueViolationError } from '@opencode-kit/core/adapter'
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PrismaAdapterOptions, type PrismaClientLike, prismaAdapter } from '../src/index.js'
import { prismaClientClass } from './support/prismaClients.js'

const OPTIONS: PrismaAdapterOptions = {
  subjects: {
    model: 'Conversation',
    columns: { id: 'key', title: 'name', opencodeSessionId: 'agent_session' },
  },
  messages: {
    table: 'replies',
    columns: {
      id: 'key',
      status: 'state',
      content: 'body',
      parts: 'parts',
      cost: 'price',
      lastActivityAt: 'seen_at',
      reasoning: null,
      toolCalls: null,
      inputTokens: null,
      outputTokens: null,
      cacheReadTokens: null,
      cacheWriteTokens: null,
      opencodeSessionId: null,
      opencodeMessageId: null,
      requests: null,
      updatedAt: null,
    },
  },
}

describe('adapter-prisma on a host app’s own models (SQLite)', () => {
  let dir: string
  let file: string
  let raw: Database.Database
  let prisma: PrismaClientLike & { $disconnect(): Promise<void> }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'adapter-prisma-'))
    file = join(dir, 'app.db')
    raw = new Database(file)
    raw.exec(`create table conversations (key integer primary key autoincrement, name text, agent_session text unique);
      create table replies (key integer primary key autoincrement, state text not null default 'pending', body text, parts text, price decimal, seen_at datetime)`)
    const PrismaClient = await prismaClientClass('custom')
    prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) })
  })
  afterAll(async () => {
    await prisma.$disconnect()
    raw.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads and writes through the mapped names; JSON goes to the String field as text', async () => {
    const { records, messages } = prismaAdapter(prisma, OPTIONS)
    const a = Number(raw.prepare("insert into conversations (name) values ('Trip')").run().lastInsertRowid)
    const b = Number(raw.prepare("insert into conversations (name) values ('Other')").run().lastInsertRowid)
    expect(await records.load(a)).toEqual({ id: a, title: 'Trip', opencodeSessionId: null })
    await records.withLock(a, (_row, locked) => locked.setSessionId('ses_host'))
    await expect(records.setSessionId(b, 'ses_host')).rejects.toBeInstanceOf(UniqueViolationError)
    expect(raw.prepare('select agent_session from conversations where key = ?').get(a)).toEqual({
      agent_session: 'ses_host',
    })

    const id = Number(raw.prepare('insert into replies default values').run().lastInsertRowid)
    expect(await messages.snapshot(id, { content: 'Hi', parts: [{ type: 'text', content: 'Hi' }] })).toBe(
      true,
    )
    await messages.touchActivity(id, new Date(Date.now() - 60_000))
    expect(await messages.listStalled({ before: new Date(), limit: 10 })).toEqual([id])
    expect(
      await messages.finalize(id, { content: 'Hi!', cost: 1.25, reasoning: 'dropped', inputTokens: 3 }),
    ).toBe(true)
    expect(await messages.cancel(id)).toBe(false)
    expect(await messages.load(id)).toMatchObject({
      id,
      status: 'completed',
      content: 'Hi!',
      cost: 1.25,
      reasoning: null,
      inputTokens: null,
      parts: [{ type: 'text', content: 'Hi' }],
    })
    const row = raw.prepare('select state, parts from replies where key = ?').get(id) as { parts: string }
    expect(JSON.parse(row.parts)).toEqual([{ type: 'text', content: 'Hi' }])
  })

  it('a column the model lacks, or an unknown model, is an InvalidArgumentError when the adapter is built', () => {
    expect(() =>
      prismaAdapter(prisma, {
        ...OPTIONS,
        subjects: { model: 'Conversation', columns: { id: 'key', title: 'name' } },
      }),
    ).toThrow(/model Conversation has no column opencode_session_id for opencodeSessionId/)
    expect(() => prismaAdapter(prisma, { ...OPTIONS, subjects: { model: 'Thread' } })).toThrow(
      InvalidArgumentError,
    )
  })
})
