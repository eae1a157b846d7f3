// RecordPort / MessagePort semantics of the knex adapter on SQLite (file), PostgreSQL and MariaDB.
import { InvalidArgumentError } from '@opencode-kit/core'
import { UniqueViolationError } from '@opencode-kit/core/adapter'
import type { Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { knexAdapter, opencodeMigrations } from '../src/index.js'
import { DATABASES, type IsolatedKnex, isolatedKnex } from './support/isolatedKnex.js'

describe.each(DATABASES)('adapter-knex ports on %s', (name) => {
  let db: IsolatedKnex
  let knex: Knex
  let ports: ReturnType<typeof knexAdapter>

  beforeAll(async () => {
    db = await isolatedKnex(name)
    knex = db.knex
    await knex.migrate.latest({ migrationSource: opencodeMigrations() })
    ports = knexAdapter(knex)
  })
  afterAll(async () => {
    await db.drop()
  })

  // MySQL has no RETURNING; its insert answers [insertId].
  const insertId = async (table: string, values: Record<string, unknown>): Promise<number> => {
    const query = knex(table).insert(values)
    const [row] = name === 'mariadb' ? await query : await query.returning('id')
    return Number(typeof row === 'object' ? (row as { id: number }).id : row)
  }
  const subject = async (title: string | null = 'A subject'): Promise<number> => {
    return insertId('opencode_subjects', { title })
  }
  const message = async (): Promise<number> => {
    const subjectId = await subject()
    return insertId('opencode_messages', { subject_id: subjectId })
  }

  it('RecordPort.load reads title and session id; a missing row is a typed OpencodeError', async () => {
    const id = await subject('Trip to Lisbon')
    expect(await ports.records.load(id)).toEqual({
      id: expect.anything(),
      title: 'Trip to Lisbon',
      opencodeSessionId: null,
    })
    await expect(ports.records.load(99_999_999)).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('RecordPort.withLock re-reads under the lock, commits on resolve, rolls back on throw', async () => {
    const id = await subject()
    const got = await ports.records.withLock(id, async (row, locked) => {
      expect(row.opencodeSessionId).toBeNull()
      await locked.setSessionId('ses_lock_1')
      return 'done'
    })
    expect(got).toBe('done')
    expect((await ports.records.load(id)).opencodeSessionId).toBe('ses_lock_1')
    await expect(
      ports.records.withLock(id, async (_row, locked) => {
        await locked.setSessionId('ses_lock_2')
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect((await ports.records.load(id)).opencodeSessionId).toBe('ses_lock_1')
    await expect(ports.records.withLock(99_999_999, async () => 1)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    )
  })

  it('RecordPort.withLock serializes concurrent callers in one process', async () => {
    const id = await subject()
    let created = 0
    const ensure = () =>
      ports.records.withLock(id, async (row, locked) => {
        if (row.opencodeSessionId) return row.opencodeSessionId
        created++
        const sid = `ses_serial_${created}`
        await locked.setSessionId(sid)
        return sid
      })
    const ids = await Promise.all(Array.from({ length: 8 }, ensure))
    expect(created).toBe(1)
    expect(new Set(ids)).toEqual(new Set(['ses_serial_1']))
  })

  it('unique session id clash → UniqueViolationError (in and outside the lock)', async () => {
    const a = await subject()
    const b = await subject()
    await ports.records.setSessionId(a, 'ses_dup')
    await expect(ports.records.setSessionId(b, 'ses_dup')).rejects.toBeInstanceOf(UniqueViolationError)
    await expect(
      ports.records.withLock(b, (_r, locked) => locked.setSessionId('ses_dup')),
    ).rejects.toBeInstanceOf(UniqueViolationError)
    await ports.records.setSessionId(a, null)
    expect((await ports.records.load(a)).opencodeSessionId).toBeNull()
  })

  it('MessagePort finalize is a CAS: first wins, later transitions answer false and change nothing', async () => {
    const id = await message()
    const parts = [{ type: 'text', content: 'hi' }]
    const tools = [{ type: 'tool', tool: 'bash', state: { status: 'completed' } }]
    expect(
      await ports.messages.finalize(id, {
        content: 'final',
        reasoning: 'thought',
        parts: parts,
        toolCalls: tools,
        cost: 0.012345,
        inputTokens: 10,
        outputTokens: 20,
        cacheReadTokens: 3,
        cacheWriteTokens: 4,
      }),
    ).toBe(true)
    expect(await ports.messages.cancel(id)).toBe(false)
    expect(await ports.messages.error(id, 'late')).toBe(false)
    expect(await ports.messages.finalize(id, { content: 'again' })).toBe(false)
    expect(await ports.messages.load(id)).toMatchObject({
      status: 'completed',
      content: 'final',
      reasoning: 'thought',
      parts: parts,
      toolCalls: tools,
      cost: 0.012345,
      inputTokens: 10,
      outputTokens: 20,
      cacheReadTokens: 3,
      cacheWriteTokens: 4,
    })
  })

  it('MessagePort cancel then finalize: the cancel is kept; error writes content', async () => {
    const id = await message()
    expect(await ports.messages.cancel(id)).toBe(true)
    expect(await ports.messages.finalize(id, { content: 'x' })).toBe(false)
    expect((await ports.messages.load(id)).status).toBe('cancelled')
    await ports.messages.update(id, { content: 'partial' })
    expect(await ports.messages.load(id)).toMatchObject({ status: 'cancelled', content: 'partial' })
    const e = await message()
    expect(await ports.messages.error(e, 'it broke')).toBe(true)
    expect(await ports.messages.load(e)).toMatchObject({ status: 'error', content: 'it broke' })
  })

  it('MessagePort snapshot writes only the given columns while pending; touchActivity stamps', async () => {
    const id = await message()
    expect(
      await ports.messages.snapshot(id, {
        content: 'so far',
        parts: [{ type: 'text', content: 'so far' }],
      }),
    ).toBe(true)
    expect(await ports.messages.snapshot(id, { content: 'so far' })).toBe(true)
    expect(await ports.messages.snapshot(id, {})).toBe(true)
    expect(await ports.messages.load(id)).toMatchObject({
      status: 'pending',
      content: 'so far',
      reasoning: null,
    })
    const at = new Date('2026-01-02T03:04:05.000Z')
    await ports.messages.touchActivity(id, at)
    expect((await ports.messages.load(id)).lastActivityAt?.getTime()).toBe(at.getTime())
    await ports.messages.cancel(id)
    expect(await ports.messages.snapshot(id, { content: 'late' })).toBe(false)
    expect((await ports.messages.load(id)).content).toBe('so far')
    await expect(ports.messages.load(99_999_999)).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})
