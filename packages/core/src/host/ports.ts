/**
 * The ports: the three small interfaces through which the orchestration layer reaches the host's
 * database and blob store. ORM adapters (`@opencode-kit/adapter-knex`, `-sequelize`, `-mikro-orm`)
 * implement {@link RecordPort} and {@link MessagePort}; storage adapters (`@opencode-kit/storage-fs`,
 * `-s3`) implement {@link StoragePort}. Every method is async. The contract suites in
 * `@opencode-kit/core/testing` (`describeRecordPort`, `describeMessagePort`, `describeStoragePort`)
 * pin the semantics below against a real database.
 */

import type { RowId } from './RowId.js'
import type { PermissionRequestView, QuestionRequestView } from './TurnEvent.js'

export type { RowId }

/**
 * The host's "subject" row (a conversation, a ticket, a trip) that owns one OpenCode session.
 * A plain snapshot: ports return fresh copies, they never mutate one in place.
 */
export interface SubjectRow {
  readonly id: RowId
  /** Used as the upstream session title when a session is created. */
  readonly title: string | null
  /** The stored upstream session id (`ses_…`), or null when none was created yet. */
  readonly opencodeSessionId: string | null
}

/** Handle given to the callback of {@link RecordPort.withLock}; writes through the lock's transaction. */
export interface LockedSubject {
  /** Persist the session id inside the locked transaction. Throws `UniqueViolationError` on a unique clash. */
  setSessionId(sessionId: string | null): Promise<void>
}

/**
 * Access to subject rows.
 *
 * @example
 * ```ts
 * const id = await records.withLock(subject.id, async (row, locked) => {
 *   if (row.opencodeSessionId) return row.opencodeSessionId
 *   const created = await client.createSession({ title: row.title ?? undefined })
 *   await locked.setSessionId(created.id)
 *   return created.id
 * })
 * ```
 */
export interface RecordPort {
  /** Re-read the row. Throws when it does not exist. */
  load(id: RowId): Promise<SubjectRow>
  /**
   * Run `fn` inside a transaction that holds an exclusive lock on the row (`SELECT … FOR UPDATE`;
   * on SQLite a write-serializing transaction), handing it the row as re-read under the lock.
   * Concurrent callers for the same row, in this process or another, run one after another.
   * The transaction commits when `fn` resolves and rolls back when it throws.
   */
  withLock<T>(id: RowId, fn: (row: SubjectRow, locked: LockedSubject) => Promise<T>): Promise<T>
  /** Persist the session id outside any lock. Throws `UniqueViolationError` on a unique clash. */
  setSessionId(id: RowId, sessionId: string | null): Promise<void>
}

/** Lifecycle of an assistant message row. Only `pending` may move; the others are terminal. */
export type MessageStatus = 'pending' | 'completed' | 'cancelled' | 'error'

/** A part as stored in `parts` (text/reasoning `{type, content}` or a canonical tool part). */
export type StoredPart = { readonly type: string } & Readonly<Record<string, unknown>>

/** The assistant message row a turn streams into. */
export interface MessageRow {
  readonly id: RowId
  readonly status: MessageStatus
  readonly content: string | null
  readonly reasoning: string | null
  readonly parts: StoredPart[] | null
  readonly toolCalls: StoredPart[] | null
  readonly cost: number | null
  readonly inputTokens: number | null
  readonly outputTokens: number | null
  readonly cacheReadTokens: number | null
  readonly cacheWriteTokens: number | null
  /** Last time the turn showed life (see {@link MessagePort.touchActivity}); null when never touched. */
  readonly lastActivityAt: Date | null
  /** The upstream session the turn prompted in (`ses_…`); null until {@link MessagePort.claimPrompt}. */
  readonly opencodeSessionId: string | null
  /**
   * The upstream user message id (`msg_…`) chosen before the prompt was sent; null until
   * {@link MessagePort.claimPrompt}. A worker that finds it set attaches to that prompt instead of
   * sending another.
   */
  readonly opencodeMessageId: string | null
  /** The permission and question requests the turn met (see {@link MessagePort.updateRequests}). */
  readonly requests: StoredRequest[] | null
}

/** Where a stored request stands. Only `pending` may move. */
export type StoredRequestStatus = 'pending' | 'answered' | 'rejected' | 'expired'

/**
 * A permission or question request as the message row keeps it (plain JSON, stored in
 * `requests_json`), so an answer can arrive from another process, or after a restart.
 *
 * @example
 * ```ts
 * const stored: StoredRequest = {
 *   id: 'per_1',
 *   kind: 'permission',
 *   status: 'pending',
 *   request: { kind: 'permission', id: 'per_1', permission: 'bash', patterns: ['ls'], always: ['ls *'], metadata: {} },
 *   askedAt: new Date().toISOString(),
 * }
 * ```
 */
export interface StoredRequest {
  /** The upstream request id (`per_…`, `que_…`). */
  readonly id: string
  readonly kind: 'permission' | 'question'
  readonly status: StoredRequestStatus
  /** What the request asks, as the turn's `permission` / `question` event showed it. */
  readonly request: PermissionRequestView | QuestionRequestView
  /** The upstream session that asked (the v2 API's reply routes name it). */
  readonly sessionId?: string
  /** When it was asked (ISO 8601). */
  readonly askedAt: string
  /** When an unanswered request is rejected as `expired` (ISO 8601), under an `'ask'` policy. */
  readonly expiresAt?: string
  /** The answer given (JSON), once answered. */
  readonly answer?: unknown
  /** When it was answered, rejected or expired (ISO 8601). */
  readonly resolvedAt?: string
}

/** The upstream ids {@link MessagePort.claimPrompt} stores before the prompt is sent. */
export interface PromptClaim {
  opencodeSessionId: string
  opencodeMessageId: string
}

/** Columns a turn writes when it ends. Omitted keys are left as they are. */
export interface MessageFields {
  content?: string | null
  reasoning?: string | null
  parts?: StoredPart[] | null
  toolCalls?: StoredPart[] | null
  cost?: number | null
  inputTokens?: number | null
  outputTokens?: number | null
  cacheReadTokens?: number | null
  cacheWriteTokens?: number | null
}

/** The cheap mid-stream write: what the user should see so far. */
export interface SnapshotFields {
  content?: string | null
  reasoning?: string | null
  parts?: StoredPart[] | null
  /**
   * Stamp the row's `lastActivityAt` in the same write: a turn's snapshots double as its
   * heartbeat, so a streaming turn shows life without a second write.
   */
  lastActivityAt?: Date
}

/**
 * Access to assistant message rows, with compare-and-set terminal transitions: `finalize`, `error`
 * and `cancel` move the row out of `pending` only if it is still `pending`, in one conditional
 * statement, and answer whether they did. A `false` means someone else (usually a user's cancel)
 * won, and the caller must not overwrite it.
 */
export interface MessagePort {
  /** Re-read the row. Throws when it does not exist. */
  load(id: RowId): Promise<MessageRow>
  /** CAS `pending → completed`, writing `fields` with the status. True if this call moved the row. */
  finalize(id: RowId, fields: MessageFields): Promise<boolean>
  /** CAS `pending → error`, writing `content`. True if this call moved the row. */
  error(id: RowId, content: string): Promise<boolean>
  /** CAS `pending → cancelled` (the user's stop button). True if this call moved the row. */
  cancel(id: RowId): Promise<boolean>
  /** Plain update of `fields` without touching the status (used to save what a cancelled turn produced). */
  update(id: RowId, fields: MessageFields): Promise<void>
  /**
   * The mid-stream snapshot: a cheap write of only the given columns that skips ORM hooks
   * (the Rails `update_columns`), applied only while the row is `pending`. True if written.
   */
  snapshot(id: RowId, fields: SnapshotFields): Promise<boolean>
  /** Record that the turn is alive (heartbeats during a long wait); a cheap hook-free write. */
  touchActivity(id: RowId, at: Date): Promise<void>
  /**
   * Compare-and-set the upstream ids before the prompt is sent: writes both only while the row is
   * `pending` and has no `opencodeMessageId` yet, in one conditional statement. True if this call
   * wrote them; a second worker gets false and attaches to the stored ids instead.
   */
  claimPrompt(id: RowId, claim: PromptClaim): Promise<boolean>
  /**
   * Ids of `pending` rows whose `lastActivityAt` is older than `before` (a row never touched, with
   * a null `lastActivityAt`, is not stalled), oldest first, at most `limit`.
   */
  listStalled(options: { before: Date; limit: number }): Promise<RowId[]>
  /**
   * Take over a stalled turn (a lease, for recovery): stamp `lastActivityAt = at` only while the
   * row is `pending` and its `lastActivityAt` is set and older than `before`, in one conditional
   * statement. True if this call stamped it: the caller now owns the turn. A second recoverer, or
   * a live turn that stamped meanwhile, makes it false.
   */
  claimStalled(id: RowId, lease: { before: Date; at: Date }): Promise<boolean>
  /**
   * Compare-and-set of the stored requests: writes `next` only while the row still holds exactly
   * `expected` (compared as the column's JSON text; `null` means none stored yet), so two answers to
   * one request cannot both win. True if this call wrote them. Leaves the status alone.
   */
  updateRequests(id: RowId, expected: StoredRequest[] | null, next: StoredRequest[]): Promise<boolean>
}

/** Free-form string metadata stored with an attachment (a transform's trust stamp lives here). */
export type AttachmentMetadata = Readonly<Record<string, string>>

/** Bytes to attach: whole, or streamed (never buffered whole by a storage adapter). */
export type AttachmentBody = Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>

/** What to attach to a message. */
export interface AttachmentInput {
  filename: string
  body: AttachmentBody
  contentType: string
  metadata?: AttachmentMetadata
}

/** An attachment as listed. */
export interface AttachmentInfo {
  readonly messageId: RowId
  readonly filename: string
  /** Size in bytes. */
  readonly size: number
  readonly contentType: string
  readonly metadata: AttachmentMetadata
}

/**
 * Attachments of a message, keyed by `(messageId, filename)`.
 *
 * @example
 * ```ts
 * await storage.attach(message.id, { filename: 'notes.md', body: bytes, contentType: 'text/markdown' })
 * for (const a of await storage.list(message.id)) console.log(a.filename, a.size)
 * ```
 */
export interface StoragePort {
  /**
   * Store `input` under `(messageId, filename)`. Idempotent: attaching an existing filename replaces
   * its content atomically (readers see the old or the new bytes, never a mix) and never duplicates.
   */
  attach(messageId: RowId, input: AttachmentInput): Promise<AttachmentInfo>
  /** Every attachment of the message, sorted by filename. */
  list(messageId: RowId): Promise<AttachmentInfo[]>
  /** Stream an attachment's bytes; null when it does not exist. */
  read(messageId: RowId, filename: string): Promise<ReadableStream<Uint8Array> | null>
  /** Delete an attachment. Idempotent: true if something was removed, false if it was already gone. */
  remove(messageId: RowId, filename: string): Promise<boolean>
}
