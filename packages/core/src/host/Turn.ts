import { type Clock, systemClock } from '../support/Clock.js'
import type { StreamEventsOptions } from '../wire/Client.js'
import { reportSafely } from '../wire/ErrorReporter.js'
import {
  AbortError,
  InvalidArgumentError,
  OpencodeError,
  SessionNotFoundError,
  StaleSessionError,
} from '../wire/errors.js'
import { Instrumentation } from '../wire/Instrumentation.js'
import { mergeStreamOnlyParts } from '../wire/mergeFinalExchange.js'
import { extractError, extractInterleavedParts, extractText } from '../wire/parseMessages.js'
import { Reply, type ReplyResult } from '../wire/Reply.js'
import { isStreamOnlyPart } from '../wire/streamOnlyParts.js'
import type { Tracer } from '../wire/Tracer.js'
import { isBlank, type OpencodeMessage, truncate } from '../wire/types.js'
import type { WireClient } from '../wire/WireClient.js'
import { type AttachFromInput, MessageArtifacts } from './MessageArtifacts.js'
import type { MessageFields, MessagePort, MessageRow, RowId, StoragePort, SubjectRow } from './ports.js'
import type { Transform } from './Transform.js'
import type { TurnStatus } from './TurnEvent.js'
import { errorMessage, errorName, TurnResult } from './TurnResult.js'
import { TurnExchange } from './turnExchange.js'

/** Content written through `MessagePort.error` when a turn fails. */
export const ERROR_FALLBACK_CONTENT = 'Sorry, an error occurred while generating this response.'
/** Content saved for a cancelled turn that produced no text. */
export const CANCELLED_CONTENT = 'Response was stopped.'

/** The part of the wire client a turn uses. `Client` has it. */
export type TurnClient = Pick<
  WireClient,
  'getMessages' | 'sendMessageAsync' | 'streamEvents' | 'abortSession'
>

/** The session lifecycle a turn uses. `Session` has it. */
export interface TurnSession {
  /** The subject row, as last read (fresh after a recreate). */
  readonly subject?: SubjectRow
  /** The stored upstream session id, creating one when there is none. */
  ensure(): Promise<string>
  /** Replace a stale or deleted upstream session with a new one. */
  recreate(): Promise<string>
  /** True when the last `ensure` minted a session (emits `session.created`). */
  readonly justCreated?: boolean
}

/** Receives Turn's trace events, unprefixed (`response.started`, `turn.finished`, …). */
export type TurnTracer = ((name: string, payload: Record<string, unknown>) => void) | Pick<Tracer, 'call'>

/** Stream deadlines Turn passes to `Client.streamEvents` (host-layer defaults when omitted). */
export type TurnStreamOptions = Pick<
  StreamEventsOptions,
  | 'timeoutMs'
  | 'firstEventTimeoutMs'
  | 'idleStreamTimeoutMs'
  | 'readTimeoutMs'
  | 'connectTimeoutMs'
  | 'reconnectDelayMs'
  | 'maxFrameSize'
>

/** Options of {@link Turn}. */
export interface TurnOptions {
  /** The assistant message row the reply streams into (status `pending`). */
  message: RowId | { readonly id: RowId }
  messages: MessagePort
  /** The subject's session (a {@link Session}); its `subject` is the freshest copy of the row. */
  session: TurnSession
  /** The subject row, when the session does not expose one. */
  subject?: SubjectRow
  client: TurnClient
  /** The user's prompt. Sent once; it must round-trip exactly (it finds this turn's messages). */
  queryText: string
  /** Extra system prompt, computed when the prompt is sent. */
  systemContext?: (subject: SubjectRow) => string | undefined
  /** The OpenCode agent to run (`build`, `plan`, …), computed when the prompt is sent. */
  agentName?: (subject: SubjectRow) => string | undefined
  /**
   * Called with each attempt's fresh {@link Reply} before streaming: add observers here to push
   * deltas to the user. A throw ends the turn as `failed`; throws inside observers are contained.
   */
  observe?: (reply: Reply) => void
  /** Trace events; they also go to `node:diagnostics_channel` as `opencode.<name>`. */
  tracer?: TurnTracer
  /** After a successful finalize (and artifact attach). A throw is reported, never changes the result. */
  onFinalized?: (event: { message: MessageRow; exchange: readonly OpencodeMessage[] }) => unknown
  /** Once, at the end of every path. A throw is reported, never changes the result. */
  onTurnFinished?: (result: TurnResult) => unknown
  /** Throttled keep-alive during a long stream (after `messages.touchActivity`). */
  onActivityTick?: (subject: SubjectRow) => unknown
  /** Called before the stream opens: release pooled DB connections held by this job. */
  releaseConnections?: () => unknown
  /** Shorthand for `artifacts: { storage }`: attach the files `write` tools created. */
  storage?: StoragePort
  /** Attach artifacts of a completed turn: `write` tool files, and sandbox files when given. */
  artifacts?: {
    storage: StoragePort
    transforms?: readonly Transform[]
    defaultAttach?: 'all' | 'none'
    sandbox?: AttachFromInput['sandbox']
    /** Default: the time `call()` started. */
    cutoff?: Date
    uploadEcho?: readonly string[]
  }
  /** Stops the turn: the stream ends, the upstream session is aborted, the row ends `cancelled`. */
  signal?: AbortSignal
  /** Time source for throttles, deadlines and delays (default: the system clock). */
  clock?: Clock
  /** Stream deadlines (defaults: 600 s overall, 120 s to the first event). */
  stream?: TurnStreamOptions
  /** Minimum ms between mid-stream snapshot writes (default 1000; 0 writes on every event). */
  snapshotIntervalMs?: number
  /** Minimum ms between activity ticks (default 300 000). */
  activityIntervalMs?: number
  /** Wait before the one empty-stream re-poll (default 2000). */
  emptyStreamRetryDelayMs?: number
  /** Total wait for final text while the agent still works (default 120 000). */
  finalExchangeTimeoutMs?: number
  /** Wait between final-exchange polls (default 2000). */
  finalExchangeRetryDelayMs?: number
  /** Content written when the turn errors (default {@link ERROR_FALLBACK_CONTENT}). */
  errorFallbackContent?: string
  /** `context.feature` of error reports (default `"opencode.turn"`). */
  errorFeature?: string
}

const DEFAULTS = {
  snapshotIntervalMs: 1000,
  activityIntervalMs: 300_000,
  emptyStreamRetryDelayMs: 2000,
  finalExchangeTimeoutMs: 120_000,
  finalExchangeRetryDelayMs: 2000,
  errorFallbackContent: ERROR_FALLBACK_CONTENT,
  errorFeature: 'opencode.turn',
}

/** A row that left `pending` while we streamed (a user's cancel): stop writing, end as cancelled. */
class RowLeftPending {}

/**
 * One assistant reply, end to end: ensure the subject's session, subscribe to its events, send the
 * prompt once, stream the reply into the message row (throttled snapshots), wait for the agent's
 * tool loop to finish, and end the row with a compare-and-set — `completed`, or `error` with a
 * fallback text — without ever overwriting a user's cancel. A deleted or stale upstream session is
 * recreated once and the prompt re-sent. `call()` never throws; it resolves to a {@link TurnResult}.
 *
 * @example
 * ```ts
 * const turn = new Turn({
 *   message: assistantMessage.id, messages, session: new Session({ subject, records, client }),
 *   client, queryText: 'Summarize the ticket',
 *   observe: (reply) => reply.addObserver({ partChanged: ({ delta }) => socket.send(delta) }),
 *   signal: stopButton.signal,
 * })
 * const result = await turn.call() // 'completed' | 'cancelled' | 'error' | 'failed'
 * ```
 */
export class Turn {
  private readonly options: TurnOptions & typeof DEFAULTS
  private readonly clock: Clock
  private readonly messageId: RowId
  private readonly internal = new AbortController()
  private readonly signal: AbortSignal
  private startedAt = 0
  private preTurnCount = 0
  private reply: Reply | undefined
  private sessionId: string | undefined
  private promptAttempted = false
  private startedDate = new Date(0)
  private rowLeftPending = false
  private result: TurnResult | undefined
  private called = false

  constructor(options: TurnOptions) {
    this.options = { ...DEFAULTS, ...stripUndefined(options) } as TurnOptions & typeof DEFAULTS
    this.clock = options.clock ?? systemClock
    this.messageId = typeof options.message === 'object' ? options.message.id : options.message
    this.signal = options.signal
      ? AbortSignal.any([options.signal, this.internal.signal])
      : this.internal.signal
  }

  /** Run the turn. Resolves once the row is final and `onTurnFinished` ran; never rejects. */
  async call(): Promise<TurnResult> {
    if (this.called) throw new OpencodeError('Turn.call() runs once; create a new Turn per reply')
    this.called = true
    this.startedAt = this.clock.now()
    this.startedDate = this.clock.date()
    try {
      this.trace('response.started', { subject_id: this.subject.id, message_id: this.messageId })
      let attemptedRecreate = false
      for (;;) {
        try {
          await this.runTurn()
          break
        } catch (error) {
          const recreatable = error instanceof SessionNotFoundError || error instanceof StaleSessionError
          if (!recreatable || attemptedRecreate || this.stopRequested) throw error
          await this.options.session.recreate()
          this.trace('session.recreated_with_resend', {
            session_id: this.subject.opencodeSessionId,
            subject_id: this.subject.id,
          })
          attemptedRecreate = true
        }
      }
    } catch (error) {
      if (this.stopRequested) await this.contained(() => this.handleStop())
      else await this.contained(() => this.handleUnexpectedError(error))
    }
    return (
      this.result ??
      new TurnResult({
        status: 'failed',
        messageId: this.messageId,
        message: null,
        durationMs: this.elapsed(),
      })
    )
  }

  private get subject(): SubjectRow {
    const subject = this.options.session.subject ?? this.options.subject
    if (!subject)
      throw new InvalidArgumentError('Turn needs the subject row: pass `subject` or a session with one')
    return subject
  }

  /** The caller aborted, or the row left `pending` under us. */
  private get stopRequested(): boolean {
    return this.options.signal?.aborted === true || this.rowLeftPending
  }

  private throwIfStopped(): void {
    if (this.stopRequested) throw new AbortError('The turn was stopped')
  }

  private async runTurn(): Promise<void> {
    this.throwIfStopped()
    const sessionId = await this.options.session.ensure()
    this.sessionId = sessionId
    if (this.options.session.justCreated === true) {
      this.trace('session.created', {
        session_id: this.subject.opencodeSessionId,
        subject_id: this.subject.id,
      })
    }
    const before = await this.options.client.getMessages(sessionId, { signal: this.signal })
    this.preTurnCount = Array.isArray(before) ? before.length : 0

    const streamResult = await this.streamResponse(sessionId)
    if (this.stopRequested) throw new RowLeftPending()
    const [result, exchange] = await this.waitForFinalExchange(
      sessionId,
      streamResult,
      await this.fetchCurrentExchange(sessionId),
    )
    const lastAssistant = TurnExchange.lastAssistant(exchange)

    const row = await this.options.messages.load(this.messageId)
    if (row.status === 'cancelled') await this.saveCancelledResponse(result, exchange)
    else if (isBlank(result.fullText)) await this.recoverEmptyStream(sessionId, lastAssistant, exchange)
    else await this.finalizeResponse(result, exchange)
  }

  // ── streaming ─────────────────────────────────────────────────────────────────────────────────

  private async streamResponse(sessionId: string): Promise<ReplyResult> {
    const { client, messages } = this.options
    const reply = new Reply({ clock: this.clock })
    this.reply = reply
    this.options.observe?.(reply)

    const start = this.clock.now()
    let lastTouch = start
    let lastSnapshot = start
    let dirty = false
    const markDirty = () => {
      dirty = true
    }
    reply.addObserver({
      partAdded: markDirty,
      partChanged: markDirty,
      partFinalized: markDirty,
      toolProgressed: markDirty,
    })
    let firstTokenAt: number | undefined
    let eventCount = 0
    let promptAttempted = false
    let promptSucceeded = false

    const snapshot = async () => {
      if (!dirty || this.clock.now() - lastSnapshot < this.options.snapshotIntervalMs) return
      lastSnapshot = this.clock.now()
      dirty = false
      try {
        const current = reply.result
        const written = await messages.snapshot(this.messageId, {
          content: current.fullText,
          reasoning: current.reasoningText || null,
          parts: current.parts,
        })
        if (!written) {
          // The row left `pending` (a user's cancel): stop streaming and stop the upstream spend.
          this.rowLeftPending = true
          this.internal.abort(new RowLeftPending())
        }
      } catch (error) {
        this.report(error, 'warning', { action: 'snapshot' })
      }
    }

    const tick = async () => {
      if (this.clock.now() - lastTouch >= this.options.activityIntervalMs) {
        try {
          await messages.touchActivity(this.messageId, this.clock.date())
          await this.options.onActivityTick?.(this.subject)
          lastTouch = this.clock.now()
        } catch (error) {
          this.report(error, 'warning', { hook: 'on_activity_tick' })
        }
      }
      await snapshot() // heartbeats flush a snapshot when the deltas stopped
    }

    const onSubscribed = async () => {
      if (promptAttempted) return false
      this.throwIfStopped()
      // Marked before the POST: an ambiguous answer (a timeout) must never lead to a second prompt.
      promptAttempted = true
      this.promptAttempted = true
      await client.sendMessageAsync(sessionId, this.options.queryText, {
        agent: this.options.agentName?.(this.subject),
        system: this.options.systemContext?.(this.subject),
        signal: this.signal,
      })
      promptSucceeded = true
      return true
    }

    try {
      await this.options.releaseConnections?.()
      await client.streamEvents(
        {
          ...this.options.stream,
          sessionId,
          reply,
          clock: this.clock,
          signal: this.signal,
          onActivityTick: tick,
          onSubscribed,
        },
        async (event) => {
          eventCount++
          reply.apply(event)
          if (firstTokenAt === undefined && reply.firstTextSeen) firstTokenAt = this.clock.now()
          await snapshot()
        },
      )
      this.trace('stream.completed', {
        duration_ms: this.elapsed(start),
        first_token_ms: firstTokenAt === undefined ? null : Math.round(firstTokenAt - start),
        event_count: eventCount,
        tool_count: reply.toolCount,
      })
    } catch (error) {
      if (error instanceof SessionNotFoundError) throw error
      if (this.stopRequested) return reply.result // handleStop cancels the row and the upstream run
      if (!promptSucceeded) throw error // the prompt may not have run: recovering could finalize stale text
      this.report(error, 'warning', { error_class: errorName(error) })
      this.trace('stream.interrupted', {
        duration_ms: this.elapsed(start),
        event_count: eventCount,
        error: errorName(error),
        error_message: truncate(errorMessage(error)),
      })
      await this.attemptStreamRecovery(sessionId, reply)
    }
    return reply.result
  }

  private async attemptStreamRecovery(sessionId: string, reply: Reply): Promise<void> {
    try {
      const last = TurnExchange.lastAssistant(await this.fetchCurrentExchange(sessionId))
      if (!last) return
      const parts = extractInterleavedParts(last)
      if (parts.length > 0) reply.replaceParts(parts)
    } catch {
      // Keep whatever the reply had.
    }
  }

  // ── the final exchange ──────────────────────────────────────────────────────────────────────────

  /** This turn's messages: everything after its own user message (matched by exact text). */
  private async fetchCurrentExchange(sessionId: string): Promise<OpencodeMessage[]> {
    try {
      const messages = await this.options.client.getMessages(sessionId, { signal: this.signal })
      if (!Array.isArray(messages) || messages.length === 0) return []
      const start = Math.min(this.preTurnCount, messages.length)
      for (let i = messages.length - 1; i >= start; i--) {
        const message = messages[i] as OpencodeMessage
        if (message?.info?.role === 'user' && extractText(message) === this.options.queryText) {
          return messages.slice(i + 1)
        }
      }
      return []
    } catch (error) {
      if (!(error instanceof OpencodeError) || this.stopRequested) throw error
      this.report(error, 'warning', { action: 'fetch_current_exchange', session_id: sessionId })
      return []
    }
  }

  private async waitForFinalExchange(
    sessionId: string,
    streamResult: ReplyResult,
    exchange: OpencodeMessage[],
  ): Promise<[ReplyResult, OpencodeMessage[]]> {
    let result = this.authoritativeResult(streamResult, exchange)
    this.syncReply(result)
    if (TurnExchange.terminal(result.fullText, exchange) || !TurnExchange.moreWork(exchange)) {
      return [result, exchange]
    }
    this.trace('response.waiting_for_final_text', { subject_id: this.subject.id, message_id: this.messageId })
    const deadline = this.clock.now() + this.options.finalExchangeTimeoutMs
    for (;;) {
      if (this.clock.now() >= deadline) return [result, exchange]
      if (this.options.finalExchangeRetryDelayMs > 0)
        await this.clock.sleep(this.options.finalExchangeRetryDelayMs, this.signal)
      exchange = await this.fetchCurrentExchange(sessionId)
      result = this.authoritativeResult(streamResult, exchange)
      this.syncReply(result)
      if (TurnExchange.terminal(result.fullText, exchange) || !TurnExchange.moreWork(exchange)) {
        return [result, exchange]
      }
    }
  }

  /** The polled messages are the truth; stream-only parts (todos) keep their place. */
  private authoritativeResult(streamResult: ReplyResult, exchange: readonly OpencodeMessage[]): ReplyResult {
    const polled = TurnExchange.assistants(exchange).flatMap((m) => extractInterleavedParts(m))
    if (polled.length === 0) return streamResult
    const exchangeResult = Reply.distill(polled)
    if (isBlank(exchangeResult.fullText)) return streamResult
    if (!streamResult.parts.some((part) => isStreamOnlyPart(part))) return exchangeResult
    return Reply.distill(mergeStreamOnlyParts(streamResult.parts, exchangeResult.parts))
  }

  private syncReply(result: ReplyResult): void {
    if (this.reply && result.parts.length > 0) this.reply.syncRecoveredParts(result.parts)
  }

  // ── ending the row ──────────────────────────────────────────────────────────────────────────────

  private costFields(exchange: readonly OpencodeMessage[]): MessageFields {
    const summed = TurnExchange.cost(exchange)
    if (Object.keys(summed).length > 0) return summed
    const reply = this.reply
    if (!reply || (reply.totalCost === 0 && reply.totalInputTokens === 0 && reply.totalOutputTokens === 0))
      return {}
    return {
      cost: reply.totalCost,
      inputTokens: reply.totalInputTokens,
      outputTokens: reply.totalOutputTokens,
    }
  }

  private resultFields(result: ReplyResult, exchange: readonly OpencodeMessage[]): MessageFields {
    const fields: MessageFields = {
      content: result.fullText,
      toolCalls: result.toolParts,
      parts: result.parts,
      ...this.costFields(exchange),
    }
    if (!isBlank(result.reasoningText)) fields.reasoning = result.reasoningText
    return fields
  }

  private async finalizeResponse(streamResult: ReplyResult, exchange: OpencodeMessage[]): Promise<void> {
    const result = this.authoritativeResult(streamResult, exchange)
    const finalized = await this.options.messages.finalize(
      this.messageId,
      this.resultFields(result, exchange),
    )
    if (!finalized) {
      await this.emitTurnFinished('cancelled')
      return
    }
    const artifacts =
      this.options.artifacts ?? (this.options.storage ? { storage: this.options.storage } : undefined)
    if (artifacts) {
      await new MessageArtifacts({
        storage: artifacts.storage,
        messageId: this.messageId,
        feature: this.options.errorFeature,
        transforms: artifacts.transforms,
        defaultAttach: artifacts.defaultAttach,
      }).attachFrom({
        exchange,
        sandbox: artifacts.sandbox,
        cutoff: artifacts.cutoff ?? this.startedDate,
        uploadEcho: artifacts.uploadEcho,
      })
    }
    const onFinalized = this.options.onFinalized
    if (onFinalized) {
      await this.safeCallback('on_finalized', async () =>
        onFinalized({ message: await this.options.messages.load(this.messageId), exchange }),
      )
    }
    await this.emitTurnFinished('completed')
  }

  private async saveCancelledResponse(
    result: ReplyResult,
    exchange: readonly OpencodeMessage[],
  ): Promise<void> {
    const fields = this.resultFields(result, exchange)
    if (isBlank(result.fullText)) fields.content = CANCELLED_CONTENT
    await this.options.messages.update(this.messageId, fields)
    await this.emitTurnFinished('cancelled')
  }

  private async recoverEmptyStream(
    sessionId: string,
    lastAssistant: OpencodeMessage | undefined,
    exchange: OpencodeMessage[],
  ): Promise<void> {
    let recovered = this.recoverFrom(lastAssistant)
    if (!recovered) {
      if (this.options.emptyStreamRetryDelayMs > 0)
        await this.clock.sleep(this.options.emptyStreamRetryDelayMs, this.signal)
      exchange = await this.fetchCurrentExchange(sessionId)
      lastAssistant = TurnExchange.lastAssistant(exchange)
      recovered = this.recoverFrom(lastAssistant)
    }
    if (recovered) {
      this.trace('response.recovered_from_exchange', {})
      await this.finalizeResponse(recovered, exchange)
    } else if (this.detectUpstreamError(lastAssistant)) {
      await this.markError('upstream_llm_error')
    } else {
      await this.markError('empty_stream')
    }
  }

  private recoverFrom(message: OpencodeMessage | undefined): ReplyResult | undefined {
    if (!message) return undefined
    const parts = extractInterleavedParts(message)
    if (parts.length === 0) return undefined
    const result = Reply.distill(parts)
    return isBlank(result.fullText) ? undefined : result
  }

  private detectUpstreamError(message: OpencodeMessage | undefined): boolean {
    const error = extractError(message)
    if (!error) return false
    this.trace('response.upstream_error', {
      error_name: error.name ?? null,
      error_message: error.message ?? null,
      status_code: error.statusCode ?? null,
      provider_url: error.url ?? null,
    })
    this.report(new OpencodeError(`Upstream LLM error: ${error.name} - ${error.message}`), 'error', {
      ...error,
    })
    return true
  }

  private async markError(reason: 'upstream_llm_error' | 'empty_stream'): Promise<void> {
    this.trace('response.error', { reason, message_id: this.messageId, subject_id: this.subject.id })
    await this.options.messages.error(this.messageId, this.options.errorFallbackContent)
    await this.abortUpstream() // the agent may still be retrying: stop the spend
    await this.emitTurnFinished('error')
  }

  /** The caller's signal fired (or the row was cancelled): cancel the row, stop upstream, keep what streamed. */
  private async handleStop(): Promise<void> {
    const { messages } = this.options
    await messages.cancel(this.messageId) // false when already cancelled (or ended otherwise)
    await this.abortUpstream()
    const row = await messages.load(this.messageId)
    if (row.status === 'cancelled') {
      await this.saveCancelledResponse(this.reply?.result ?? Reply.distill([]), [])
    } else {
      await this.emitTurnFinished('cancelled')
    }
  }

  private async abortUpstream(): Promise<void> {
    if (!this.promptAttempted || !this.sessionId) return
    try {
      await this.options.client.abortSession(this.sessionId)
    } catch (error) {
      this.report(error, 'warning', { action: 'abort_session', session_id: this.sessionId })
    }
  }

  private async handleUnexpectedError(error: unknown): Promise<void> {
    this.report(error, 'error', { message_id: this.messageId, error_class: errorName(error) })
    await this.contained(() => this.options.messages.error(this.messageId, this.options.errorFallbackContent))
    await this.contained(() => this.abortUpstream())
    await this.emitTurnFinished('failed', error)
  }

  private async emitTurnFinished(status: TurnStatus, error?: unknown): Promise<void> {
    let row: MessageRow | null = null
    await this.contained(async () => {
      row = await this.options.messages.load(this.messageId)
    })
    const result = new TurnResult({
      status,
      messageId: this.messageId,
      message: row,
      durationMs: this.elapsed(),
      error,
    })
    this.result = result
    const onTurnFinished = this.options.onTurnFinished
    if (onTurnFinished) await this.safeCallback('on_turn_finished', () => onTurnFinished(result))
    const toolCount = (row as MessageRow | null)?.toolCalls?.length ?? 0
    this.trace('turn.finished', result.tracePayload(toolCount))
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────────────────

  private async safeCallback(name: 'on_finalized' | 'on_turn_finished', run: () => unknown): Promise<void> {
    try {
      await run()
    } catch (error) {
      this.report(error, 'warning', {
        callback: name,
        message_id: this.messageId,
        error_class: errorName(error),
      })
      this.trace('callback.error', { callback: name, error_class: errorName(error) })
    }
  }

  /** Errors inside error handling are reported, never thrown (the Ruby original let them escape). */
  private async contained(run: () => unknown): Promise<void> {
    try {
      await run()
    } catch (error) {
      this.report(error, 'error', { action: 'turn_error_handling', message_id: this.messageId })
    }
  }

  private trace(name: string, payload: Record<string, unknown>): void {
    Instrumentation.notify(`opencode.${name}`, payload)
    const tracer = this.options.tracer
    if (!tracer) return
    try {
      if (typeof tracer === 'function') tracer(name, payload)
      else tracer.call(name, payload)
    } catch (error) {
      this.report(error, 'warning', { action: 'trace', event: name })
    }
  }

  private report(error: unknown, severity: 'warning' | 'error', context: Record<string, unknown>): void {
    reportSafely(error, {
      handled: true,
      severity,
      context: { feature: this.options.errorFeature, ...context },
    })
  }

  private elapsed(since = this.startedAt): number {
    return Math.round(this.clock.now() - since)
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
