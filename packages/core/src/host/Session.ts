import { reportSafely } from '../wire/ErrorReporter.js'
import { OpencodeError } from '../wire/errors.js'
import { isBlank, type OpencodeSession, type PermissionRule } from '../wire/types.js'
import { UniqueViolationError } from './errors.js'
import type { LockedSubject, RecordPort, SubjectRow } from './ports.js'

/** The part of the wire client a Session needs. */
export interface SessionClient {
  createSession(input: { title?: string; permissions?: PermissionRule[] }): Promise<OpencodeSession>
  deleteSession(id: string): Promise<unknown>
  abortSession(id: string): Promise<unknown>
}

/** Options of {@link Session}. */
export interface SessionOptions {
  /** The subject row that owns the session. */
  subject: SubjectRow
  records: RecordPort
  client: SessionClient
  /**
   * Permission rules for a NEW session (they apply only at creation: after changing the policy,
   * recreate stored sessions). Default: none (the server's defaults).
   */
  permissionsFor?: (subject: SubjectRow) => PermissionRule[] | undefined
  /** Receives wire errors swallowed by {@link Session.abort} (default: reported through ErrorReporter). */
  onError?: (error: OpencodeError, context: { action: string; recordId: SubjectRow['id'] }) => void
}

const present = (id: string | null | undefined): id is string => !isBlank(id)

/**
 * The lifecycle of the one upstream OpenCode session a subject row owns. `ensure` is idempotent and
 * race-free across processes: the id is double-checked under the row lock, so N workers starting
 * turns for one conversation create exactly one session. The only network call made inside the
 * lock is the short `POST /session` that mints the session.
 *
 * @example
 * ```ts
 * const session = new Session({ subject, records, client, permissionsFor: () => [{ permission: '*', pattern: '*', action: 'deny' }] })
 * const id = await session.ensure()   // creates at most once, however many workers race
 * if (session.justCreated) console.log('new session', id)
 * ```
 */
export class Session {
  /** The latest snapshot of the subject row (refreshed under the lock and after minting). */
  subject: SubjectRow
  private readonly options: SessionOptions
  private created = false

  constructor(options: SessionOptions) {
    this.options = options
    this.subject = options.subject
  }

  /** True only if the most recent `ensure`/`recreate` minted a new upstream session. */
  get justCreated(): boolean {
    return this.created
  }

  /** The stored session id, creating (once, under the row lock) when there is none. */
  async ensure(): Promise<string> {
    this.created = false
    if (present(this.subject.opencodeSessionId)) return this.subject.opencodeSessionId
    try {
      return await this.options.records.withLock(this.subject.id, async (row, locked) => {
        this.subject = row
        if (present(row.opencodeSessionId)) return row.opencodeSessionId
        return this.mint(row, locked)
      })
    } catch (error) {
      if (!(error instanceof UniqueViolationError)) throw error
      // Someone else's write won the unique key: take what is stored (our upstream session was deleted in mint).
      this.subject = await this.options.records.load(this.subject.id)
      if (present(this.subject.opencodeSessionId)) return this.subject.opencodeSessionId
      throw error
    }
  }

  /**
   * A fresh upstream session for the subject. Concurrent recreators converge on one new session;
   * the old upstream session is aborted best-effort so it stops spending.
   */
  async recreate(): Promise<string> {
    this.created = false
    const before = this.subject.opencodeSessionId
    let stale: string | null = null
    const id = await this.options.records.withLock(this.subject.id, async (row, locked) => {
      this.subject = row
      const current = row.opencodeSessionId
      if (present(current) && current !== before) return current // another recreate won while we waited
      stale = current
      return this.mint(row, locked)
    })
    if (this.created && present(stale)) await this.abortQuietly(stale)
    return id
  }

  /** Abort the running turn of the stored session, best-effort (wire errors go to `onError`). */
  async abort(): Promise<unknown> {
    const id = this.subject.opencodeSessionId
    if (!present(id)) return undefined
    try {
      return await this.options.client.abortSession(id)
    } catch (error) {
      if (!(error instanceof OpencodeError)) throw error
      this.handleError(error, 'abort_session')
      return undefined
    }
  }

  private async mint(row: SubjectRow, locked: LockedSubject): Promise<string> {
    const created = await this.options.client.createSession({
      title: row.title ?? undefined,
      permissions: this.options.permissionsFor?.(row),
    })
    const id = created.id
    try {
      await locked.setSessionId(id)
    } catch (error) {
      // Never leave an orphan spending upstream: the session we minted is not stored anywhere.
      await this.deleteQuietly(id)
      throw error
    }
    this.created = true
    this.subject = { ...row, opencodeSessionId: id }
    return id
  }

  private async deleteQuietly(id: string): Promise<void> {
    try {
      await this.options.client.deleteSession(id)
    } catch (error) {
      if (!(error instanceof OpencodeError)) throw error
      this.handleError(error, 'delete_session')
    }
  }

  private async abortQuietly(id: string): Promise<void> {
    try {
      await this.options.client.abortSession(id)
    } catch (error) {
      if (!(error instanceof OpencodeError)) throw error
      this.handleError(error, 'abort_stale_session')
    }
  }

  private handleError(error: OpencodeError, action: string): void {
    const context = { action, recordId: this.subject.id }
    if (this.options.onError) {
      try {
        this.options.onError(error, context)
      } catch (callbackError) {
        reportSafely(callbackError, {
          handled: true,
          severity: 'warning',
          context: { feature: 'opencode.session', ...context },
        })
      }
    } else {
      reportSafely(error, {
        handled: true,
        severity: 'warning',
        context: { feature: 'opencode.session', ...context },
      })
    }
  }
}
