// RecordPort / MessagePort semantics (ports.ts) on SQLite, PostgreSQL and MariaDB, checked with raw
// SQL reads so the assertions see what reached the database, not what the adapter says it wrote.
import { InvalidArgumentError, type RowId } from '@opencode-kit/core'
import { UniqueViolationError } from '@opencode-kit/core/adapter'
import { QueryTypes, type Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createOpencodeTables,
  defineOpencodeModels,
  type SequelizeAdapter,
  sequelizeAdapter,
} from '../src/index.js'
import { DATABASES, type IsolatedDatabase, isolatedDatabase } from './support/isolatedDatabases.js'

describe.each(DATABASES)('adapter-sequelize ports on %s', (name) => {
  let db: IsolatedDatabase
  let sequelize: Sequelize
  let other: Sequelize
  let adapter: SequelizeAdapter
  let otherAdapter: SequelizeAdapter

  beforeAll(async () => {
    db = await isolatedDatabase(name)
    sequelize = db.connect()
    other = db.connect()
    await createOpencodeTables(sequelize.getQueryInterface())
    adapter = sequelizeAdapter(sequelize)
    otherAdapter = sequelizeAdapter(other)
  })
  afterAll(() => db.drop())

  let seq = 0
  const now = () => new Date()
  async function subject(title: string | null = 'A subject'): Promise<RowId> {
    const { Subject } = defineOpencodeModels(sequelize, {
      subjectModelName: `S${++seq}`,
      messageModelName: `M${seq}`,
    })
    const row = await Subject.create({ title })
    return row.get('id') as RowId
  }
  async function message(): Promise<RowId> {
    const subjectId = await subject()
    const { Message } = defineOpencodeModels(sequelize, {
      subjectModelName: `S${++seq}`,
      messageModelName: `M${seq}`,
    })
    const row = await Message.create({ subjectId, createdAt: now() })
    return row.get('id') as RowId
  }
  const rawSubject = async (id: RowId) =>
    (
      await sequelize.query<Record<string, unknown>>('SELECT * FROM opencode_subjects WHERE id = ?', {
        replacements: [id],
        type: QueryTypes.SELECT,
      })
    )[0]
  const rawMessage = async (id: RowId) =>
    (
      await sequelize.query<Record<string, unknown>>('SELECT * FROM opencode_messages WHERE id = ?', {
        replacements: [id],
        type: QueryTypes.SELECT,
      })
    )[0]
  const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value)

  describe('RecordPort', () => {
    it('load re-reads title and session id; a missing row throws', async () => {
      const id = await subject('Trip to Lisbon')
      expect(await adapter.records.load(id)).toEqual({ id, title: 'Trip to Lisbon', opencodeSessionId: null })
      await expect(adapter.records.load(999_999)).rejects.toBeInstanceOf(InvalidArgumentError)
    })

    it('setSessionId persists outside a lock and can clear it', async () => {
      const id = await subject()
      await adapter.records.setSessionId(id, 'ses_plain')
      expect((await rawSubject(id))?.opencode_session_id).toBe('ses_plain')
      await adapter.records.setSessionId(id, null)
      expect((await rawSubject(id))?.opencode_session_id).toBeNull()
    })

    it('setSessionId: a unique clash on the session id throws UniqueViolationError', async () => {
      const a = await subject()
      const b = await subject()
      await adapter.records.setSessionId(a, 'ses_taken')
      const error = await adapter.records.setSessionId(b, 'ses_taken').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UniqueViolationError)
      expect((error as UniqueViolationError).code).toBe('unique_violation')
      expect((await rawSubject(b))?.opencode_session_id).toBeNull()
    })

    it('withLock hands the row re-read under the lock and commits writes made through the handle', async () => {
      const id = await subject()
      await otherAdapter.records.setSessionId(id, 'ses_before')
      const result = await adapter.records.withLock(id, async (row, locked) => {
        expect(row.opencodeSessionId).toBe('ses_before')
        await locked.setSessionId('ses_locked')
        return 'done'
      })
      expect(result).toBe('done')
      expect((await rawSubject(id))?.opencode_session_id).toBe('ses_locked')
    })

    it('withLock rolls back when the callback throws', async () => {
      const id = await subject()
      const boom = new Error('boom')
      await expect(
        adapter.records.withLock(id, async (_row, locked) => {
          await locked.setSessionId('ses_rolled_back')
          throw boom
        }),
      ).rejects.toBe(boom)
      expect((await rawSubject(id))?.opencode_session_id).toBeNull()
    })

    it('withLock on a missing row throws', async () => {
      await expect(adapter.records.withLock(999_999, async () => 1)).rejects.toBeInstanceOf(
        InvalidArgumentError,
      )
    })

    it('withLock: locked.setSessionId clash throws UniqueViolationError and rolls back', async () => {
      const a = await subject()
      const b = await subject()
      await adapter.records.setSessionId(a, 'ses_dup')
      await expect(
        adapter.records.withLock(b, (_row, locked) => locked.setSessionId('ses_dup')),
      ).rejects.toBeInstanceOf(UniqueViolationError)
      expect((await rawSubject(b))?.opencode_session_id).toBeNull()
    })

    it('withLock serializes concurrent callers across connections: exactly one creates a session', async () => {
      const id = await subject()
      let inside = 0
      let maxInside = 0
      let created = 0
      const ensure = (records: SequelizeAdapter['records']) =>
        records.withLock(id, async (row, locked) => {
          inside++
          maxInside = Math.max(maxInside, inside)
          try {
            if (row.opencodeSessionId) return row.opencodeSessionId
            // Yield to the event loop so an unserialized caller would get in here too.
            await new Promise<void>((resolve) => setImmediate(resolve))
            created++
            const sessionId = `ses_${created}`
            await locked.setSessionId(sessionId)
            return sessionId
          } finally {
            inside--
          }
        })
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => ensure(i % 2 === 0 ? adapter.records : otherAdapter.records)),
      )
      expect(created).toBe(1)
      expect(maxInside).toBe(1)
      expect(new Set(results)).toEqual(new Set(['ses_1']))
      expect((await rawSubject(id))?.opencode_session_id).toBe('ses_1')
    })
  })

  describe('MessagePort', () => {
    it('load maps every column of a fresh row', async () => {
      const id = await message()
      expect(await adapter.messages.load(id)).toEqual({
        id,
        status: 'pending',
        content: null,
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
      })
      await expect(adapter.messages.load(999_999)).rejects.toBeInstanceOf(InvalidArgumentError)
    })

    it('finalize: CAS pending → completed writes every field once; later transitions answer false', async () => {
      const id = await message()
      const parts = [{ type: 'text', content: 'Hello' }]
      const tools = [{ type: 'tool', tool: 'bash', state: { status: 'completed' } }]
      const fields = {
        content: 'Hello',
        reasoning: 'thinking',
        parts: parts,
        toolCalls: tools,
        cost: 0.0125,
        inputTokens: 10,
        outputTokens: 20,
        cacheReadTokens: 3,
        cacheWriteTokens: 4,
      }
      expect(await adapter.messages.finalize(id, fields)).toBe(true)
      expect(await adapter.messages.finalize(id, { content: 'again' })).toBe(false)
      expect(await adapter.messages.cancel(id)).toBe(false)
      expect(await adapter.messages.error(id, 'late')).toBe(false)
      const raw = await rawMessage(id)
      expect(raw?.status).toBe('completed')
      expect(raw?.content).toBe('Hello')
      expect(json(raw?.parts_json)).toEqual(parts)
      expect(json(raw?.tool_calls_json)).toEqual(tools)
      expect(Number(raw?.cost)).toBeCloseTo(0.0125)
      expect(Number(raw?.cache_write_tokens)).toBe(4)
      expect(await adapter.messages.load(id)).toMatchObject({ ...fields, status: 'completed' })
    })

    it('cancel wins: a later finalize answers false and does not overwrite', async () => {
      const id = await message()
      expect(await adapter.messages.cancel(id)).toBe(true)
      expect(await adapter.messages.finalize(id, { content: 'should not land' })).toBe(false)
      const raw = await rawMessage(id)
      expect(raw?.status).toBe('cancelled')
      expect(raw?.content).toBeNull()
    })

    it('error: CAS pending → error writing content', async () => {
      const id = await message()
      expect(await adapter.messages.error(id, 'It broke')).toBe(true)
      expect(await adapter.messages.error(id, 'twice')).toBe(false)
      expect(await rawMessage(id)).toMatchObject({ status: 'error', content: 'It broke' })
    })

    it('racing finalize and cancel on separate connections: exactly one wins, and its status sticks', async () => {
      for (let round = 0; round < 10; round++) {
        const id = await message()
        const [finalized, cancelled] = await Promise.all([
          adapter.messages.finalize(id, { content: 'done' }),
          otherAdapter.messages.cancel(id),
        ])
        expect(Number(finalized) + Number(cancelled)).toBe(1)
        expect((await rawMessage(id))?.status).toBe(finalized ? 'completed' : 'cancelled')
      }
    })

    it('update writes fields without touching the status (what a cancelled turn produced)', async () => {
      const id = await message()
      await adapter.messages.cancel(id)
      await adapter.messages.update(id, { content: 'partial', outputTokens: 7 })
      expect(await adapter.messages.load(id)).toMatchObject({
        status: 'cancelled',
        content: 'partial',
        outputTokens: 7,
      })
    })

    it('snapshot writes only the given columns while pending, answers false once terminal', async () => {
      const id = await message()
      expect(await adapter.messages.snapshot(id, { content: 'Hel' })).toBe(true)
      expect(await adapter.messages.snapshot(id, { content: 'Hel' })).toBe(true)
      expect(
        await adapter.messages.snapshot(id, {
          reasoning: 'r',
          parts: [{ type: 'text', content: 'Hel' }],
        }),
      ).toBe(true)
      const row = await adapter.messages.load(id)
      expect(row).toMatchObject({ status: 'pending', content: 'Hel', reasoning: 'r' })
      expect(row.parts).toEqual([{ type: 'text', content: 'Hel' }])
      await adapter.messages.cancel(id)
      expect(await adapter.messages.snapshot(id, { content: 'Hello' })).toBe(false)
      expect((await rawMessage(id))?.content).toBe('Hel')
    })

    it('snapshot and touchActivity do not bump updated_at; terminal transitions do', async () => {
      const id = await message()
      const old = new Date('2020-01-01T00:00:00Z')
      await sequelize.query('UPDATE opencode_messages SET updated_at = ? WHERE id = ?', {
        replacements: [old, id],
      })
      const updatedAt = async () => new Date(String((await rawMessage(id))?.updated_at)).getUTCFullYear()
      await adapter.messages.snapshot(id, { content: 'x' })
      await adapter.messages.touchActivity(id, new Date('2026-05-01T10:00:00Z'))
      expect(await updatedAt()).toBe(2020)
      await adapter.messages.finalize(id, { content: 'done' })
      expect(await updatedAt()).toBeGreaterThan(2020)
    })

    it('touchActivity stamps last_activity_at', async () => {
      const id = await message()
      const at = new Date('2026-05-01T10:00:00Z')
      await adapter.messages.touchActivity(id, at)
      expect((await adapter.messages.load(id)).lastActivityAt?.toISOString()).toBe(at.toISOString())
    })
  })
})
