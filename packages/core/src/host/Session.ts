import type { ErrorHook } from '../support/ErrorHook.js'
import { reportError } from '../support/reportError.js'
import { OpencodeError } from '../wire/errors.js'
import { isBlank, type OpencodeSession, type PermissionRule } from '../wire/types.js'
import { ConfigurationError, UniqueViolationError } from './errors.js'
import type { RecordPort, SubjectRow } from './ports.js'

/** What `ensure` and `recreate` of a session answer. */
export interface EnsuredSession {
  /** The upstream session id (`ses_…`). */
  id: string
  /** True when this call minted it. */
  created: boolean
}

/** The part of the wire client a Session needs. */
export interface SessionClient {
  createSession(input: { title?: string; permissions?: PermissionRule[] }): Promise<OpencodeSession>
  deleteSession(id: string): Promise<unknown>
  abortSession(id: string): Promise<unknown>
}

/**
 * The permission rules of new sessions: rules (last match wins), a function of the subject row
 * that returns them, or `'server-defaults'` to let the server's configuration decide. Required:
 * an agent's permissions are a decision, never an accident.
 */
export type PermissionPolicy =
  | readonly PermissionRule[]
  | ((subject: SubjectRow) => readonly PermissionRule[] | Promise<readonly PermissionRule[]>)
  | 'server-defaults'

/** Options of {@link Session}. */
export interface SessionOptions {
  /** The subject row that owns the session. */
  subject: SubjectRow
  records: RecordPort
  client: SessionClient
  /**
   * Permission rules for a NEW session (they apply only at creation: after changing the policy,
   * recreate stored sessions). Required; `'server-defaults'` is an explicit choice.
   */
  permissions: PermissionPolicy
  /** Receives errors swallowed by best-effort cleanups (default: a concise `console.warn`). */
  onError?: ErrorHook
}

const present = (id: string | null | undefined): id is string => !isBlank(id)

/** Throws {@link ConfigurationError} unless `policy` is a permission policy. */
export function assertPermissionPolicy(policy: unknown, owner: string): asserts policy is PermissionPolicy {
  if (policy === 'server-defaults' || typeof policy === 'function' || Array.isArray(policy)) return
  throw new ConfigurationError(
    `${owner} needs a permission policy: \`permissions: [...rules]\`, a function of the subject, or 'server-defaults' (for example \`permissions: allowOnly([{ permission: 'read', pattern: '*' }])\`)`,
  )
}

/**
 * The lifecycle of the one upstream OpenCode session a subject row owns. `ensure` is idempotent and
 * race-free across processes: the id is double-checked under the row lock, so N workers starting
 * turns for one conversation create exactly one session. The only network call made inside the
 * lock is the short `POST /session` that mints the session; a minted session whose id is not
 * stored (a lost race, a failed commit) is deleted again.
 *
 * @example
 * ```ts
 * const session = new Session({ subject, records, client, permissions: denyAll() })
 * const { id, created } = await session.ensure() // creates at most once, however many workers race
 * if (created) console.log('new session', id)
 * ```
 */
export class Session {
  /** The latest snapshot of the subject row (refreshed under the lock and after minting). */
  subject: SubjectRow
  private readonly options: SessionOptions
  private readonly onError: ErrorHook | undefined

  constructor(options: SessionOptions) {
    assertPermissionPolicy(options.permissions, 'Session')
    this.options = options
    this.subject = options.subject
    this.onError = options.onError
  }

  /** The stored session, creating one (once, under the row lock) when there is none. */
  async ensure(): Promise<EnsuredSession> {
    if (present(this.subject.opencodeSessionId)) return { id: this.subject.opencodeSessionId, created: false }
    try {
      return await this.underLock(async (row, mint) => {
        if (present(row.opencodeSessionId)) return { id: row.opencodeSessionId, created: false }
        return mint()
      })
    } catch (error) {
      if (!(error instanceof UniqueViolationError)) throw error
      // Someone else's write won the unique key: take what is stored (our minted session was deleted).
      this.subject = await this.options.records.load(this.subject.id)
      if (present(this.subject.opencodeSessionId))
        return { id: this.subject.opencodeSessionId, created: false }
      throw error
    }
  }

  /**
   * A fresh upstream session for the subject. Concurrent recreators converge on one new session;
   * the old upstream session is aborted best-effort so it stops spending.
   */
  async recreate(): Promise<EnsuredSession> {
    const before = this.subject.opencodeSessionId
    let stale: string | null = null
    const ensured = await this.underLock(async (row, mint) => {
      const current = row.opencodeSessionId
      if (present(current) && current !== before) return { id: current, created: false } // another recreate won
      stale = current
      return mint()
    })
    if (ensured.created && present(stale))
      await this.quietly('abortStaleSession', () => this.options.client.abortSession(stale as string))
    return ensured
  }

  /** Abort the running turn of the stored session, best-effort (wire errors go to `onError`). */
  async abort(): Promise<unknown> {
    const id = this.subject.opencodeSessionId
    if (!present(id)) return undefined
    let answer: unknown
    await this.quietly('abortSession', async () => {
      answer = await this.options.client.abortSession(id)
    })
    return answer
  }

  /**
   * Run `fn` under the subject's row lock with a `mint` that creates and stores a session. If the
   * locked transaction does not commit after minting — `setSessionId` failed, the callback threw,
   * or COMMIT itself failed — the minted session is stored nowhere: delete it upstream.
   */
  private async underLock(
    fn: (row: SubjectRow, mint: () => Promise<EnsuredSession>) => Promise<EnsuredSession>,
  ): Promise<EnsuredSession> {
    let minted: string | undefined
    try {
      const ensured = await this.options.records.withLock(this.subject.id, async (row, locked) => {
        this.subject = row
        return fn(row, async () => {
          const id = await this.create(row)
          minted = id
          await locked.setSessionId(id)
          return { id, created: true }
        })
      })
      if (ensured.created) this.subject = { ...this.subject, opencodeSessionId: ensured.id }
      return ensured
    } catch (error) {
      // Never leave an orphan spending upstream: the session we minted is not stored anywhere.
      if (minted !== undefined) {
        const orphan = minted
        await this.quietly('deleteSession', () => this.options.client.deleteSession(orphan))
      }
      throw error
    }
  }

  private async create(row: SubjectRow): Promise<string> {
    const policy = this.options.permissions
    const rules =
      policy === 'server-defaults' ? undefined : typeof policy === 'function' ? await policy(row) : policy
    const created = await this.options.client.createSession({
      title: row.title ?? undefined,
      permissions: rules ? [...rules] : undefined,
    })
    return created.id
  }

  /** Run a best-effort cleanup call: an `OpencodeError` goes to `onError`, anything else propagates. */
  private async quietly(action: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run()
    } catch (error) {
      if (!(error instanceof OpencodeError)) throw error
      reportError(this.onError, error, {
        feature: 'opencode.session',
        severity: 'warning',
        action,
        subjectId: this.subject.id,
      })
    }
  }
}
