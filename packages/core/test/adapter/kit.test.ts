import { describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  isUniqueViolation,
  MESSAGE_COLUMNS,
  mapColumns,
  resolveAdapterOptions,
  serializeSqliteWrites,
  UniqueViolationError,
  withUniqueViolation,
} from '../../src/adapter/index.js'

describe('the adapter kit', () => {
  it('resolveAdapterOptions fills in the shipped schema; given names and nulls win', () => {
    const resolved = resolveAdapterOptions({
      subjects: { table: 'chats', columns: { opencodeSessionId: 'agent_ref' } },
      messages: { columns: { content: 'body', reasoning: null, cost: undefined } },
    })
    expect(resolved.subjects).toEqual({
      table: 'chats',
      columns: { id: 'id', title: 'title', opencodeSessionId: 'agent_ref' },
    })
    expect(resolved.messages.table).toBe('opencode_messages')
    expect(resolved.messages.columns).toEqual({ ...MESSAGE_COLUMNS, content: 'body', reasoning: null })
    expect(resolved.sqlite.busyTimeoutMs).toBe(30_000)
    expect(resolveAdapterOptions({ sqlite: { busyTimeoutMs: 5 } }).sqlite.busyTimeoutMs).toBe(5)
  })

  it('mapColumns translates columns to ORM names, keeps nulls, and names the field it cannot find', () => {
    const byColumn: Record<string, string> = { id: 'id', title: 'heading', opencode_session_id: 'sessionRef' }
    const columns = { id: 'id', title: 'title', opencodeSessionId: 'opencode_session_id' }
    expect(mapColumns(columns, (c) => byColumn[c], 'model Chat')).toEqual({
      id: 'id',
      title: 'heading',
      opencodeSessionId: 'sessionRef',
    })
    expect(mapColumns({ a: null }, () => undefined, 'x')).toEqual({ a: null })
    expect(() => mapColumns({ ...columns, title: 'nope' }, (c) => byColumn[c], 'model Chat')).toThrow(
      InvalidArgumentError,
    )
    expect(() => mapColumns({ ...columns, title: 'nope' }, (c) => byColumn[c], 'model Chat')).toThrow(
      /model Chat has no column nope for title/,
    )
  })

  it('isUniqueViolation knows PostgreSQL, MySQL/MariaDB and both SQLite drivers, also wrapped', () => {
    expect(isUniqueViolation({ code: '23505' })).toBe(true)
    expect(isUniqueViolation({ code: 'ER_DUP_ENTRY' })).toBe(true)
    expect(isUniqueViolation({ errno: 1062 })).toBe(true)
    expect(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBe(true)
    expect(
      isUniqueViolation({
        code: 'SQLITE_CONSTRAINT',
        message: 'SQLITE_CONSTRAINT: UNIQUE constraint failed: t.c',
      }),
    ).toBe(true)
    expect(isUniqueViolation({ code: 'SQLITE_CONSTRAINT', message: 'NOT NULL constraint failed' })).toBe(
      false,
    )
    expect(isUniqueViolation(new Error('wrapped', { cause: { code: '23505' } }))).toBe(true)
    expect(isUniqueViolation({ parent: { original: { errno: 1062 } } })).toBe(true)
    expect(isUniqueViolation({ code: '23503' })).toBe(false)
    expect(isUniqueViolation(null)).toBe(false)
    const loop: Record<string, unknown> = {}
    loop.cause = loop
    expect(isUniqueViolation(loop)).toBe(false)
  })

  it('withUniqueViolation rethrows a clash as UniqueViolationError and anything else untouched', async () => {
    const clash = Object.assign(new Error('dup'), { code: 'P2002' })
    await expect(withUniqueViolation(() => Promise.reject({ code: '23505' }))).rejects.toBeInstanceOf(
      UniqueViolationError,
    )
    await expect(
      withUniqueViolation(
        () => Promise.reject(clash),
        (e) => (e as { code?: string }).code === 'P2002',
      ),
    ).rejects.toMatchObject({ code: 'unique_violation', cause: clash })
    const other = new Error('other')
    await expect(withUniqueViolation(() => Promise.reject(other))).rejects.toBe(other)
    expect(await withUniqueViolation(async () => 7)).toBe(7)
  })

  it('serializeSqliteWrites runs one owner’s callers one after another, past failures, owners apart', async () => {
    const owner = {}
    const log: string[] = []
    let release: () => void = () => {}
    const first = serializeSqliteWrites(owner, async () => {
      log.push('first start')
      await new Promise<void>((resolve) => {
        release = resolve
      })
      log.push('first end')
      throw new Error('first failed')
    })
    const second = serializeSqliteWrites(owner, async () => {
      log.push('second')
      return 2
    })
    const elsewhere = await serializeSqliteWrites({}, async () => 'other owner')
    expect(elsewhere).toBe('other owner')
    expect(log).toEqual(['first start'])
    release()
    await expect(first).rejects.toThrow('first failed')
    expect(await second).toBe(2)
    expect(log).toEqual(['first start', 'first end', 'second'])
  })
})
