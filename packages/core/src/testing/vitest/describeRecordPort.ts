import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UniqueViolationError } from '../../host/errors.js'
import type { RecordPort, RowId } from '../../host/ports.js'
import { OpencodeError } from '../../wire/errors.js'

/** What an adapter's test hands to {@link describeRecordPort}. */
export interface RecordPortFixture {
  records: RecordPort
  /** Raw driver access, so the suite checks what really reached the database. */
  raw: {
    /** Insert a subject row with the driver directly; returns its id. */
    insertSubject(fields?: { title?: string | null; opencodeSessionId?: string | null }): Promise<RowId>
    /** Read a subject row with the driver directly. */
    subject(id: RowId): Promise<{ title: string | null; opencodeSessionId: string | null } | undefined>
  }
  close(): Promise<void>
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1))
const unique = () => `ses_${Math.random().toString(36).slice(2, 12)}`

/**
 * The contract every {@link RecordPort} must meet, as a vitest suite. Order-independent (each test
 * makes its own rows) and concurrent where it matters.
 *
 * @example
 * ```ts
 * describeRecordPort('knex on PostgreSQL', async () => ({ records, raw: { insertSubject, subject }, close }))
 * ```
 */
export function describeRecordPort(name: string, factory: () => Promise<RecordPortFixture>): void {
  describe(`RecordPort contract: ${name}`, () => {
    let fixture: RecordPortFixture
    beforeAll(async () => {
      fixture = await factory()
    })
    afterAll(async () => {
      await fixture?.close()
    })

    it('load reads id, title and session id; a missing row is a typed OpencodeError', async () => {
      const id = await fixture.raw.insertSubject({ title: 'Trip to Lisbon' })
      const row = await fixture.records.load(id)
      expect(String(row.id)).toBe(String(id))
      expect(row.title).toBe('Trip to Lisbon')
      expect(row.opencodeSessionId).toBeNull()
      await expect(
        fixture.records.load(typeof id === 'number' ? 987654321 : 'missing-row'),
      ).rejects.toBeInstanceOf(OpencodeError)
    })

    it('setSessionId persists (and null clears) what the driver reads back', async () => {
      const id = await fixture.raw.insertSubject()
      const sessionId = unique()
      await fixture.records.setSessionId(id, sessionId)
      expect((await fixture.raw.subject(id))?.opencodeSessionId).toBe(sessionId)
      await fixture.records.setSessionId(id, null)
      expect((await fixture.raw.subject(id))?.opencodeSessionId).toBeNull()
    })

    it('withLock hands fn the row re-read under the lock, and commits when fn resolves', async () => {
      const id = await fixture.raw.insertSubject()
      const stale = await fixture.records.load(id)
      const fresh = unique()
      await fixture.records.setSessionId(id, fresh)
      const seen = await fixture.records.withLock(id, async (row, locked) => {
        await locked.setSessionId(`${fresh}_2`)
        return row.opencodeSessionId
      })
      expect(stale.opencodeSessionId).toBeNull()
      expect(seen).toBe(fresh)
      expect((await fixture.raw.subject(id))?.opencodeSessionId).toBe(`${fresh}_2`)
    })

    it('withLock rolls back what fn wrote when fn throws, and rethrows', async () => {
      const id = await fixture.raw.insertSubject()
      const boom = new Error('boom')
      await expect(
        fixture.records.withLock(id, async (_row, locked) => {
          await locked.setSessionId(unique())
          throw boom
        }),
      ).rejects.toBe(boom)
      expect((await fixture.raw.subject(id))?.opencodeSessionId).toBeNull()
    })

    it('withLock serializes concurrent callers: 10 read-modify-writes lose no update', async () => {
      const id = await fixture.raw.insertSubject()
      const base = unique()
      await fixture.records.setSessionId(id, `${base}:0`)
      await Promise.all(
        Array.from({ length: 10 }, () =>
          fixture.records.withLock(id, async (row, locked) => {
            const count = Number(String(row.opencodeSessionId).split(':')[1])
            await tick()
            await locked.setSessionId(`${base}:${count + 1}`)
          }),
        ),
      )
      expect((await fixture.raw.subject(id))?.opencodeSessionId).toBe(`${base}:10`)
    })

    it('a session id stored on two subjects is a UniqueViolationError, in and outside the lock', async () => {
      const a = await fixture.raw.insertSubject()
      const b = await fixture.raw.insertSubject()
      const sessionId = unique()
      await fixture.records.setSessionId(a, sessionId)
      await expect(fixture.records.setSessionId(b, sessionId)).rejects.toBeInstanceOf(UniqueViolationError)
      await expect(
        fixture.records.withLock(b, (_row, locked) => locked.setSessionId(sessionId)),
      ).rejects.toBeInstanceOf(UniqueViolationError)
      expect((await fixture.raw.subject(b))?.opencodeSessionId).toBeNull()
      expect((await fixture.raw.subject(a))?.opencodeSessionId).toBe(sessionId)
    })
  })
}
