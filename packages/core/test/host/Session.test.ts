import { describe, expect, it } from 'vitest'
import { type LockedSubject, type RecordPort, UniqueViolationError } from '../../src/adapter/index.js'
import type { SessionClient } from '../../src/host/Session.js'
import {
  ConfigurationError,
  type PermissionRule,
  type RowId,
  ServerError,
  Session,
  type SubjectRow,
} from '../../src/index.js'
import { MemoryRecordPort } from '../../src/testing/index.js'
import type { OpencodeSession } from '../../src/wire/index.js'

/** A fake upstream that counts what it is asked to do. */
class FakeUpstream implements SessionClient {
  created: Array<{ title?: string; permissions?: PermissionRule[] }> = []
  deleted: string[] = []
  aborted: string[] = []
  abortError: Error | undefined
  async createSession(input: { title?: string; permissions?: PermissionRule[] }): Promise<OpencodeSession> {
    this.created.push(input)
    // Yield so concurrent callers really interleave.
    await new Promise((resolve) => setImmediate(resolve))
    return { id: `ses_${this.created.length}` }
  }
  async deleteSession(id: string) {
    this.deleted.push(id)
    return true
  }
  async abortSession(id: string) {
    if (this.abortError) throw this.abortError
    this.aborted.push(id)
    return true
  }
}

describe('Session (host-layer §2.2)', () => {
  it('session_test 2: the public surface is ensure, recreate and abort', () => {
    const names = Object.getOwnPropertyNames(Session.prototype).filter(
      (n) => n !== 'constructor' && !n.startsWith('_'),
    )
    expect(names.filter((n) => ['ensure', 'recreate', 'abort', 'justCreated'].includes(n)).sort()).toEqual([
      'abort',
      'ensure',
      'recreate',
    ])
  })

  it('a Session without a permission policy is a configuration error; server-defaults sends no rules', async () => {
    const records = new MemoryRecordPort()
    const upstream = new FakeUpstream()
    const subject = records.insert({ title: 'Trip' })
    expect(
      () =>
        new Session({ subject, records, client: upstream } as unknown as ConstructorParameters<
          typeof Session
        >[0]),
    ).toThrow(ConfigurationError)
    await new Session({ subject, records, client: upstream, permissions: 'server-defaults' }).ensure()
    expect(upstream.created).toEqual([{ title: 'Trip', permissions: undefined }])
  })

  it('ensure creates once with the title and permissions, persists, and says it created', async () => {
    const records = new MemoryRecordPort()
    const upstream = new FakeUpstream()
    const rules: PermissionRule[] = [{ permission: '*', pattern: '*', action: 'deny' }]
    const session = new Session({
      subject: records.insert({ title: 'Trip' }),
      records,
      client: upstream,
      permissions: () => rules,
    })
    expect(await session.ensure()).toEqual({ id: 'ses_1', created: true })
    expect(upstream.created).toEqual([{ title: 'Trip', permissions: rules }])
    expect((await records.load(session.subject.id)).opencodeSessionId).toBe('ses_1')
    expect(await session.ensure()).toEqual({ id: 'ses_1', created: false })
    expect(upstream.created).toHaveLength(1)
  })

  it('ensure double-checks under the lock: 25 concurrent callers on one subject create exactly one session', async () => {
    const records = new MemoryRecordPort()
    const upstream = new FakeUpstream()
    const subject = records.insert({ title: 'Busy' })
    const sessions = Array.from(
      { length: 25 },
      () => new Session({ subject, records, client: upstream, permissions: 'server-defaults' }),
    )
    const ensured = await Promise.all(sessions.map((s) => s.ensure()))
    expect(new Set(ensured.map((e) => e.id))).toEqual(new Set(['ses_1']))
    expect(upstream.created).toHaveLength(1)
    expect(ensured.filter((e) => e.created)).toHaveLength(1)
  })

  it('defect 1: the loser of a unique-violation race deletes its own upstream session and returns the stored id', async () => {
    const upstream = new FakeUpstream()
    // A port whose write loses to a concurrent writer that stored ses_winner.
    const stored: { -readonly [K in keyof SubjectRow]: SubjectRow[K] } = {
      id: 1,
      title: 'T',
      opencodeSessionId: null,
    }
    const records: RecordPort = {
      load: async () => ({ ...stored }),
      setSessionId: async () => {},
      withLock: async <T>(_id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>) =>
        fn(
          { ...stored },
          {
            setSessionId: async () => {
              stored.opencodeSessionId = 'ses_winner'
              throw new UniqueViolationError('duplicate')
            },
          },
        ),
    }
    const session = new Session({
      subject: { ...stored },
      records,
      client: upstream,
      permissions: 'server-defaults',
    })
    expect(await session.ensure()).toEqual({ id: 'ses_winner', created: false })
    expect(upstream.deleted).toEqual(['ses_1'])
  })

  it('mint deletes the upstream session when persisting fails for any reason, and re-raises', async () => {
    const upstream = new FakeUpstream()
    const failure = new Error('validation failed')
    const records: RecordPort = {
      load: async () => ({ id: 1, title: null, opencodeSessionId: null }),
      setSessionId: async () => {},
      withLock: async (_id, fn) =>
        fn(
          { id: 1, title: null, opencodeSessionId: null },
          {
            setSessionId: async () => {
              throw failure
            },
          },
        ),
    }
    const session = new Session({
      subject: { id: 1, title: null, opencodeSessionId: null },
      records,
      client: upstream,
      permissions: 'server-defaults',
    })
    await expect(session.ensure()).rejects.toBe(failure)
    expect(upstream.deleted).toEqual(['ses_1'])
  })

  it('issue 15 #18: a failure at COMMIT after minting deletes the minted session upstream (ensure and recreate)', async () => {
    const upstream = new FakeUpstream()
    const commitFailure = new Error('could not serialize access (COMMIT)')
    let stored: string | null = 'ses_old'
    const records: RecordPort = {
      load: async () => ({ id: 1, title: null, opencodeSessionId: stored }),
      setSessionId: async () => {},
      // The callback succeeds; the transaction then fails to commit, so nothing it wrote is stored.
      withLock: async <T>(_id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>) => {
        const before = stored
        await fn(
          { id: 1, title: null, opencodeSessionId: stored },
          {
            setSessionId: async (id) => {
              stored = id
            },
          },
        )
        stored = before
        throw commitFailure
      },
    }
    const recreating = new Session({
      subject: { id: 1, title: null, opencodeSessionId: 'ses_old' },
      records,
      client: upstream,
      permissions: 'server-defaults',
    })
    await expect(recreating.recreate()).rejects.toBe(commitFailure)
    expect(upstream.deleted).toEqual(['ses_1'])
    expect(upstream.aborted).toEqual([]) // the old session stays: it is still the stored one
    stored = null
    const ensuring = new Session({
      subject: { id: 1, title: null, opencodeSessionId: null },
      records,
      client: upstream,
      permissions: 'server-defaults',
    })
    await expect(ensuring.ensure()).rejects.toBe(commitFailure)
    expect(upstream.deleted).toEqual(['ses_1', 'ses_2'])
  })

  it('defect 2: recreate mints a new session and aborts the old upstream session', async () => {
    const records = new MemoryRecordPort()
    const upstream = new FakeUpstream()
    const session = new Session({
      subject: records.insert({ opencodeSessionId: 'ses_old' }),
      records,
      client: upstream,
      permissions: 'server-defaults',
    })
    expect(await session.recreate()).toEqual({ id: 'ses_1', created: true })
    expect(upstream.aborted).toEqual(['ses_old'])
    expect((await records.load(session.subject.id)).opencodeSessionId).toBe('ses_1')
  })

  it('concurrent recreators converge on one new session', async () => {
    const records = new MemoryRecordPort()
    const upstream = new FakeUpstream()
    const subject = records.insert({ opencodeSessionId: 'ses_stale' })
    const sessions = Array.from(
      { length: 10 },
      () => new Session({ subject, records, client: upstream, permissions: 'server-defaults' }),
    )
    const ensured = await Promise.all(sessions.map((s) => s.recreate()))
    expect(new Set(ensured.map((e) => e.id))).toEqual(new Set(['ses_1']))
    expect(upstream.created).toHaveLength(1)
    expect(upstream.aborted).toEqual(['ses_stale'])
  })

  it('abort is best-effort: wire errors go to onError, nothing is thrown; a blank id does nothing', async () => {
    const records = new MemoryRecordPort()
    const upstream = new FakeUpstream()
    const errors: unknown[] = []
    const blank = new Session({
      subject: records.insert(),
      records,
      client: upstream,
      permissions: 'server-defaults',
    })
    expect(await blank.abort()).toBeUndefined()
    expect(upstream.aborted).toEqual([])
    upstream.abortError = new ServerError('down')
    const session = new Session({
      subject: records.insert({ opencodeSessionId: 'ses_9' }),
      records,
      client: upstream,
      permissions: 'server-defaults',
      onError: (error, context) => errors.push([error, context]),
    })
    expect(await session.abort()).toBeUndefined()
    expect(errors).toEqual([
      [
        upstream.abortError,
        {
          feature: 'opencode.session',
          severity: 'warning',
          action: 'abortSession',
          subjectId: session.subject.id,
        },
      ],
    ])
  })

  it('abort lets errors that are not wire errors propagate', async () => {
    const records = new MemoryRecordPort()
    const upstream = new FakeUpstream()
    upstream.abortError = new TypeError('bug')
    const session = new Session({
      subject: records.insert({ opencodeSessionId: 'ses_9' }),
      records,
      client: upstream,
      permissions: 'server-defaults',
    })
    await expect(session.abort()).rejects.toBeInstanceOf(TypeError)
  })
})

describe('MemoryRecordPort', () => {
  it('serializes withLock callers: 20 read-modify-write increments lose nothing', async () => {
    const records = new MemoryRecordPort()
    const subject = records.insert({ opencodeSessionId: '0' })
    await Promise.all(
      Array.from({ length: 20 }, () =>
        records.withLock(subject.id, async (row, locked) => {
          await new Promise((resolve) => setImmediate(resolve))
          await locked.setSessionId(String(Number(row.opencodeSessionId) + 1))
        }),
      ),
    )
    expect((await records.load(subject.id)).opencodeSessionId).toBe('20')
  })

  it('rolls back writes when the lock holder throws, and enforces unique session ids', async () => {
    const records = new MemoryRecordPort()
    const a = records.insert({ opencodeSessionId: 'ses_a' })
    const b = records.insert()
    await expect(
      records.withLock(b.id, async (_row, locked) => {
        await locked.setSessionId('ses_b')
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect((await records.load(b.id)).opencodeSessionId).toBeNull()
    await expect(records.setSessionId(b.id, 'ses_a')).rejects.toBeInstanceOf(UniqueViolationError)
    expect((await records.load(a.id)).opencodeSessionId).toBe('ses_a')
  })
})
