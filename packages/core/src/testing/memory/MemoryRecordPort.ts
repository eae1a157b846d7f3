import { RowNotFoundError, UniqueViolationError } from '../../host/errors.js'
import type { LockedSubject, RecordPort, RowId, SubjectRow } from '../../host/ports.js'

/**
 * An in-memory {@link RecordPort} that behaves like a database: `withLock` really serializes
 * callers per row (a promise-chain mutex), writes inside a failed lock roll back, and session ids
 * are unique across rows.
 *
 * @example
 * ```ts
 * const records = new MemoryRecordPort()
 * const subject = records.insert({ title: 'Trip to Lisbon' })
 * const session = new Session({ subject, records, client })
 * ```
 */
export class MemoryRecordPort implements RecordPort {
  private readonly rows = new Map<string, SubjectRow>()
  private readonly locks = new Map<string, Promise<unknown>>()
  private nextId = 1

  /** Insert a row; returns it. */
  insert(row: { id?: RowId; title?: string | null; opencodeSessionId?: string | null } = {}): SubjectRow {
    const inserted: SubjectRow = {
      id: row.id ?? this.nextId++,
      title: row.title ?? null,
      opencodeSessionId: row.opencodeSessionId ?? null,
    }
    this.assertUnique(inserted.id, inserted.opencodeSessionId)
    this.rows.set(String(inserted.id), inserted)
    return { ...inserted }
  }

  async load(id: RowId): Promise<SubjectRow> {
    const row = this.rows.get(String(id))
    if (!row) throw new RowNotFoundError(`No subject row ${id}`)
    return { ...row }
  }

  async withLock<T>(id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>): Promise<T> {
    const key = String(id)
    const previous = this.locks.get(key) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((resolve) => {
      release = resolve
    })
    const chained = previous.then(() => mine)
    this.locks.set(key, chained)
    await previous
    try {
      const before = await this.load(id)
      try {
        return await fn({ ...before }, { setSessionId: (sessionId) => this.setSessionId(id, sessionId) })
      } catch (error) {
        this.rows.set(key, before) // roll back
        throw error
      }
    } finally {
      release()
      if (this.locks.get(key) === chained) this.locks.delete(key)
    }
  }

  async setSessionId(id: RowId, sessionId: string | null): Promise<void> {
    const row = await this.load(id)
    this.assertUnique(id, sessionId)
    this.rows.set(String(id), { ...row, opencodeSessionId: sessionId })
  }

  private assertUnique(id: RowId, sessionId: string | null): void {
    if (sessionId === null) return
    for (const row of this.rows.values()) {
      if (String(row.id) !== String(id) && row.opencodeSessionId === sessionId) {
        throw new UniqueViolationError(`Session id ${sessionId} is already stored on subject ${row.id}`)
      }
    }
  }
}
