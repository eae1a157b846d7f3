import { type Clock, systemClock } from '../support/Clock.js'
import type { ErrorContext, ErrorHook } from '../support/ErrorHook.js'
import { reportError } from '../support/reportError.js'
import type { TraceHook } from '../support/TraceHook.js'
import { trace } from '../support/trace.js'
import {
  AbortError,
  InvalidArgumentError,
  OpencodeError,
  SessionNotFoundError,
  StaleSessionError,
  TimeoutError,
  UpstreamError,
} from '../wire/errors.js'
import { mergeStreamOnlyParts } from '../wire/mergeFinalExchange.js'
import { newMessageId } from '../wire/newMessageId.js'
import { extractError, extractInterleavedParts, extractText } from '../wire/parseMessages.js'
import { Reply, type ReplyResult } from '../wire/Reply.js'
import { isStreamOnlyPart } from '../wire/streamOnlyParts.js'
import { isBlank, type OpencodeMessage, truncate } from '../wire/types.js'
import type { EventDeadlines, WireClient } from '../wire/WireClient.js'
import type { DescribeToolOptions } from './describeTool.js'
import { EmptyReplyError, PersistenceError } from './errors.js'
import { contain, type Hooks } from './hooks.js'
import { type AttachFromInput, MessageArtifacts } from './MessageArtifacts.js'
import type {
  MessageFields,
  MessagePort,
  MessageRow,
  RowId,
  StoragePort,
  StoredRequest,
  SubjectRow,
} from './ports.js'
import { REQUEST_POLICY_DEFAULTS, type RequestPolicy } from './RequestPolicy.js'
import { canAnswerRequests, type RequestClient } from './replyToRequest.js'
import type { EnsuredSession } from './Session.js'
import type { Transform } from './Transform.js'
import type { TurnEvent, TurnEventError, TurnStatus, TurnUsage } from './TurnEvent.js'
import { TurnEventSource } from './TurnEventSource.js'
import { TurnRequests } from './TurnRequests.js'
import {
  errorMessage,
  errorName,
  type TurnResult,
  turnFinishedPayload,
  turnResult,
  ZERO_USAGE,
} from './TurnResult.js'
import * as TurnExchange from './turnExchange.js'

/** Content written through `MessagePort.error` when a turn fails. */
export const ERROR_FALLBACK_CONTENT = 'Sorry, an error occurred while generating this response.'
/** Content saved for a cancelled turn that produced no text. */
export const CANCELLED_CONTENT = 'Response was stopped.'

/** The part of the wire client a turn uses. `Client` has it. */
export type TurnClient = Pick<WireClient, 'getMessages' | 'prompt' | 'events' | 'abortSession'> &
  Partial<RequestClient>

/** The session lifecycle a turn uses. {@link Session} has it. */
export interface TurnSession {
  /** The subject row, as last read (fresh after a recreate). */
  readonly subject: SubjectRow
  /** The stored upstream session, creating one when there is none. */
  ensure(): Promise<EnsuredSession>
  /** Replace a stale or deleted upstream session with a new one. */
  recreate(): Promise<EnsuredSession>
}

/**
 * The event stream's deadlines (see `EventDeadlines`: defaults 600 s overall, 120 s to the first
 * event) and the delay before a reconnect.
 */
export interface TurnStreamOptions extends EventDeadlines {
  /** Delay before reconnecting after a dropped connection (default 100 ms). */
  reconnectDelayMs?: number
}

/** A value, or a function of the subject row that computes it (may be async). */
export type PerSubject<T> = T | ((subject: SubjectRow) => T | Promise<T>)

/** The stream's overall deadline when `stream.overallMs` is not set (the client's default). */
const DEFAULT_OVERALL_MS = 600_000

/** The knobs of a turn; every one has a default. */
export interface TurnTuning {
  /** Minimum ms between mid-stream snapshot writes (default 1000; 0 writes on every event). */
  snapshotIntervalMs: number
  /** Minimum ms between activity ticks (default 300 000). */
  activityIntervalMs: number
  /**
   * The turn's liveness stamp (`lastActivityAt`): written when the turn starts, with every
   * snapshot, and on a timer when nothing stamped for this long (default 10 000). A row whose
   * stamp is older than a few of these (see `recoverTurns`' `stalledForMs`) is stalled.
   */
  livenessIntervalMs: number
  /** Wait before the one empty-stream re-poll (default 2000). */
  emptyStreamRetryDelayMs: number
  /** Total wait for final text while the agent still works (default 120 000). */
  finalExchangeTimeoutMs: number
  /** Wait between final-exchange polls (default 2000). */
  finalExchangeRetryDelayMs: number
  /** Content written when the turn errors (default {@link ERROR_FALLBACK_CONTENT}). */
  errorFallbackContent: string
  /** Events `turn.events` buffers for a consumer that is behind before it compacts them (default 1000). */
  maxBufferedEvents: number
  /**
   * Tries of each terminal write (`finalize`, `error`, `cancel`, and the status read before them)
   * before the turn gives up with `PersistenceError` (default 5).
   */
  terminalWriteAttempts: number
  /** Wait before the first retry of a terminal write, doubled on each retry (default 500). */
  terminalWriteRetryDelayMs: number
}

/** Default {@link TurnTuning}. */
export const TURN_DEFAULTS: Readonly<TurnTuning> = Object.freeze({
  snapshotIntervalMs: 1000,
  activityIntervalMs: 300_000,
  livenessIntervalMs: 10_000,
  emptyStreamRetryDelayMs: 2000,
  finalExchangeTimeoutMs: 120_000,
  finalExchangeRetryDelayMs: 2000,
  errorFallbackContent: ERROR_FALLBACK_CONTENT,
  maxBufferedEvents: 1000,
  terminalWriteAttempts: 5,
  terminalWriteRetryDelayMs: 500,
})

/** Where a completed turn's files go, and how they are chosen. */
export interface TurnArtifacts {
  storage: StoragePort
  /** Product rules that turn agent files into trusted artifacts. */
  transforms?: readonly Transform[]
  /** `'all'` (default) attaches every safe sandbox file no transform claimed; `'none'` only transformed ones. */
  defaultAttach?: 'all' | 'none'
  /** The agent's working directory, scanned for files written during the turn. */
  sandbox?: AttachFromInput['sandbox']
  /** Only sandbox files modified after this time (default: the turn's start). */
  cutoff?: Date
  /** Basenames of the user's uploads: never echoed back as artifacts. */
  uploadEcho?: readonly string[]
}

/** Options of {@link startTurn} and {@link runTurn}: everything one turn needs. */
export interface TurnOptions extends Partial<TurnTuning> {
  /** The assistant message row the reply streams into (status `pending`). */
  messageId: RowId
  /** The user's prompt. Sent once; it must round-trip exactly (it finds this turn's messages). */
  prompt: string
  client: TurnClient
  messages: MessagePort
  /** The subject's session (a {@link Session}). */
  session: TurnSession
  /** Stops the turn: the stream ends, the upstream session is aborted, the row ends `cancelled`. */
  signal?: AbortSignal
  /** The OpenCode agent to run (`build`, `plan`…). */
  agent?: PerSubject<string | undefined>
  /** Extra system prompt for this turn. */
  system?: PerSubject<string | undefined>
  /** Attach a completed turn's files (`write` tools, and the sandbox when given). */
  artifacts?: TurnArtifacts
  /** After a successful finalize (and artifact attach). May be async; a failure is reported, never changes the result. */
  onFinalized?: (event: { message: MessageRow; exchange: readonly OpencodeMessage[] }) => unknown
  /** Once, at the end of every path. May be async; a failure is reported, never changes the result. */
  onTurnFinished?: (result: TurnResult) => unknown
  /** Throttled keep-alive during a long stream (after `messages.touchActivity`). */
  onActivityTick?: (subject: SubjectRow) => unknown
  /**
   * What to do with the agent's permission and question requests (default: ask, and reject after
   * 5 minutes without an answer; see {@link RequestPolicy}). Needs a client that can answer them.
   */
  requests?: RequestPolicy
  /** Called before the stream opens: release pooled DB connections held by this job. */
  releaseConnections?: () => unknown
  /** Errors the turn handles without throwing (default: a concise `console.warn`). */
  onError?: ErrorHook
  /** Trace events (`response.started`, `turn.finished`…); they also go to `node:diagnostics_channel`. */
  onTrace?: TraceHook
  /** Time source for throttles, deadlines and delays (default: the system clock). */
  clock?: Clock
  /** Stream deadlines (defaults: 600 s overall, 120 s to the first event). */
  stream?: TurnStreamOptions
  /** Labels and icons of the tool views in `tool` events. */
  tools?: DescribeToolOptions
  /** `context.feature` of error reports (default `"opencode.turn"`). */
  errorFeature?: string
  /**
   * Never send the prompt: attach to the upstream message stored on the row (`claimPrompt`) —
   * finalize an exchange that ended, stream one that still runs. When there is nothing usable
   * upstream (no stored message, the message or the session is gone), abort upstream and end the
   * row `error` with the fallback text. What `kit.recoverTurns` runs.
   */
  attachOnly?: boolean
}

/** Recovery found nothing upstream to attach to. */
class NothingUpstream extends Error {}

/** A running turn: its events as they happen, and its outcome. */
export interface TurnHandle {
  /** The assistant message row. */
  readonly messageId: RowId
  /**
   * The turn's {@link TurnEvent}s, `start` first and `finish` last. Iterate once; the turn never
   * waits for the consumer (see {@link TurnEvent} for the buffering policy).
   */
  readonly events: AsyncIterable<TurnEvent>
  /**
   * The outcome, once the row is final and `onTurnFinished` ran. Rejects only when the row could
   * not be written (`PersistenceError`): the job should fail so the queue retries it.
   */
  readonly result: Promise<TurnResult>
}

/**
 * Start one assistant reply, end to end: ensure the subject's session, subscribe to its events,
 * send the prompt once, stream the reply into the message row (throttled snapshots), wait for the
 * agent's tool loop to finish, and end the row with a compare-and-set — `completed`, or `error`
 * with a fallback text — without ever overwriting a user's cancel. A deleted or stale upstream
 * session is recreated once and the prompt re-sent. Returns at once; `createOpencodeKit` wires the
 * options once, this is the building block underneath.
 *
 * @example
 * ```ts
 * const turn = startTurn({
 *   messageId: assistantMessage.id, prompt: 'Summarize the ticket', client, messages,
 *   session: new Session({ subject, records, client, permissions: 'server-defaults' }),
 *   signal: stopButton.signal,
 * })
 * for await (const event of turn.events) socket.send(JSON.stringify(event))
 * const result = await turn.result // result.status: 'completed' | 'cancelled' | 'error' | 'failed'
 * ```
 */
export function startTurn(options: TurnOptions): TurnHandle {
  const run = new TurnRun(options, true)
  const result = run.run()
  result.catch(() => {}) // a caller that never awaits `result` must not crash the process
  return { messageId: options.messageId, events: run.events.queue, result }
}

/**
 * Run one turn to its end (see {@link startTurn}) when nobody watches it live. Resolves once the
 * row is final and `onTurnFinished` ran; rejects only with `PersistenceError`.
 *
 * @example
 * ```ts
 * const result = await runTurn({ messageId, prompt: 'Hi', client, messages, session })
 * if (result.status === 'completed') console.log(result.message?.content, result.usage.cost)
 * ```
 */
export function runTurn(options: TurnOptions): Promise<TurnResult> {
  return new TurnRun(options, false).run()
}

/** A row that left `pending` while we streamed (a user's cancel): stop writing, end as cancelled. */
class RowLeftPending {}

type Settings = TurnOptions & TurnTuning & { errorFeature: string }

/** One run of the turn procedure (the state a single turn needs). */
class TurnRun {
  readonly events: TurnEventSource
  private readonly options: Settings
  private readonly clock: Clock
  private readonly hooks: Hooks
  private readonly messageId: RowId
  private readonly internal = new AbortController()
  private readonly signal: AbortSignal
  private readonly watched: boolean
  private startedAt = 0
  private preTurnCount = 0
  private reply: Reply | undefined
  private sessionId: string | undefined
  private promptAttempted = false
  /** The upstream user message id of this turn's prompt (chosen before it is sent, stored on the row). */
  private upstreamMessageId: string | undefined
  /** A run before this one sent the prompt (or is sending it): attach, never prompt again. */
  private promptSent = false
  private upstreamAborted = false
  private startedDate = new Date(0)
  private rowLeftPending = false
  private result: TurnResult | undefined
  private usage: TurnUsage = ZERO_USAGE
  /** Tool calls whose request this turn rejected or let expire (the server stops the loop there). */
  private rejectedCallIds: ReadonlySet<string> = new Set()
  /** Requests an earlier run of this message left pending: adopted by this run's first stream. */
  private leftPending: StoredRequest[] = []
  /** Clock time of the last liveness stamp this turn wrote. */
  private lastStamp = Number.NEGATIVE_INFINITY
  /** Set when a terminal write kept failing: the row is still `pending` and `result` rejects. */
  private persistenceFailure: PersistenceError | undefined

  constructor(options: TurnOptions, watched: boolean) {
    this.options = { ...TURN_DEFAULTS, errorFeature: 'opencode.turn', ...stripUndefined(options) } as Settings
    this.clock = options.clock ?? systemClock
    this.hooks = { onError: options.onError, onTrace: options.onTrace }
    this.messageId = options.messageId
    this.watched = watched
    this.signal = options.signal
      ? AbortSignal.any([options.signal, this.internal.signal])
      : this.internal.signal
    this.events = new TurnEventSource(options.messageId, options.tools, this.options.maxBufferedEvents)
  }

  /**
   * Run the turn. Resolves once the row is final and `onTurnFinished` ran; rejects with
   * `PersistenceError` when the terminal write kept failing.
   */
  async run(): Promise<TurnResult> {
    this.startedAt = this.clock.now()
    this.startedDate = this.clock.date()
    const ended = await this.alreadyEnded()
    if (ended) return ended
    await this.stamp() // alive from the first moment: a stalled-turn sweep never takes a live turn
    const alive = new AbortController()
    const keepingAlive = this.keepAlive(alive.signal)
    try {
      return await this.runAlive()
    } finally {
      alive.abort()
      await keepingAlive
    }
  }

  private async runAlive(): Promise<TurnResult> {
    try {
      this.trace('response.started', { subjectId: this.subject.id, messageId: this.messageId })
      let attemptedRecreate = false
      for (;;) {
        try {
          await this.attempt(attemptedRecreate)
          break
        } catch (error) {
          const recreatable = error instanceof SessionNotFoundError || error instanceof StaleSessionError
          if (this.options.attachOnly && error instanceof SessionNotFoundError && !this.stopRequested) {
            await this.markError('nothing_upstream', new EmptyReplyError('The upstream session is gone'))
            break
          }
          if (error instanceof NothingUpstream && !this.stopRequested) {
            await this.markError('nothing_upstream', new EmptyReplyError(error.message))
            break
          }
          if (!recreatable || attemptedRecreate || this.stopRequested || this.options.attachOnly) throw error
          const recreated = await this.options.session.recreate()
          this.sessionId = recreated.id
          this.trace('session.recreated_with_resend', { sessionId: recreated.id, subjectId: this.subject.id })
          attemptedRecreate = true
        }
      }
    } catch (error) {
      await this.contained(() => this.fail(error))
    }
    const failure = this.persistenceFailure
    if (failure) {
      // The row is still `pending`: stop the upstream spend, tell the hooks once, fail the job.
      await this.contained(() => this.abortUpstream())
      await this.contained(() => this.emitTurnFinished('failed', failure))
    }
    const result =
      this.result ??
      turnResult('failed', {
        messageId: this.messageId,
        message: null,
        durationMs: this.elapsed(),
        usage: this.usage,
      })
    this.events.finish(
      result.status,
      result.message?.content ?? null,
      result.usage,
      result.durationMs,
      eventError(result),
    )
    if (failure) throw failure
    return result
  }

  /** Stamp the row's `lastActivityAt` (best effort: a failure is reported, the next stamp retries). */
  private async stamp(): Promise<void> {
    this.lastStamp = this.clock.now()
    try {
      await this.options.messages.touchActivity(this.messageId, this.clock.date())
    } catch (error) {
      this.report(error, 'warning', { action: 'liveness' })
    }
  }

  /** While the turn runs: stamp whenever nothing else stamped for `livenessIntervalMs`. */
  private async keepAlive(signal: AbortSignal): Promise<void> {
    const interval = Math.max(1000, this.options.livenessIntervalMs) // the ≤ 1 write/s budget
    for (;;) {
      const due = this.lastStamp + interval - this.clock.now()
      try {
        await this.clock.sleep(Math.max(due, 1), signal)
      } catch {
        return // the turn ended
      }
      if (signal.aborted) return
      if (this.clock.now() - this.lastStamp >= interval) await this.stamp()
    }
  }

  /** End a turn whose procedure threw: the stop path, or the unexpected-error path. */
  private async fail(error: unknown): Promise<void> {
    if (this.persistenceFailure) return // run() finishes it
    if (this.result) {
      // Finished already (onTurnFinished ran): report, never finish a second time.
      this.report(error, 'error', { action: 'afterFinish', errorClass: errorName(error) })
      return
    }
    try {
      if (this.stopRequested) await this.handleStop()
      else await this.handleUnexpectedError(error)
    } catch (failure) {
      if (failure !== this.persistenceFailure) throw failure
    }
  }

  private get subject(): SubjectRow {
    const subject = this.options.session.subject
    if (!subject) throw new InvalidArgumentError('The turn needs a session with its subject row')
    return subject
  }

  /** The caller aborted, or the row left `pending` under us. */
  private get stopRequested(): boolean {
    return this.options.signal?.aborted === true || this.rowLeftPending
  }

  private throwIfStopped(): void {
    if (this.stopRequested) throw new AbortError('The turn was stopped')
  }

  private async attempt(recreated: boolean): Promise<void> {
    this.throwIfStopped()
    const session = await this.options.session.ensure()
    this.sessionId = session.id
    if (session.created) this.trace('session.created', { sessionId: session.id, subjectId: this.subject.id })
    this.events.start(session.id, session.created)
    const before = await this.options.client.getMessages(session.id, { signal: this.signal })
    this.preTurnCount = Array.isArray(before) ? before.length : 0
    const finished = await this.claimPrompt(session.id, Array.isArray(before) ? before : [])

    // An earlier run's exchange that already ended has nothing left to stream.
    if (!finished) await this.streamResponse(session.id, recreated)
    if (this.stopRequested) throw new RowLeftPending()
    const current = await this.fetchCurrentExchange(session.id)
    // Read after the poll (it may have exposed the prompt's own parts, issue 15 #20), and once:
    // distilling an 8 MB reply joins and copies it.
    const [result, exchange] = await this.waitForFinalExchange(
      session.id,
      this.reply?.result ?? Reply.distill([]),
      current,
    )
    const lastAssistant = TurnExchange.lastAssistant(exchange)

    const row = await this.persist('load', () => this.options.messages.load(this.messageId))
    if (row.status === 'cancelled') await this.saveCancelledResponse(result, exchange)
    else if (isBlank(result.fullText)) await this.recoverEmptyStream(session.id, lastAssistant, exchange)
    else await this.finalizeResponse(result, exchange)
  }

  /**
   * A retried job for a row that already ended: its result, touching nothing (no write, no hook).
   * Undefined when the row is pending (or could not be read: the turn's own path reports that).
   */
  private async alreadyEnded(): Promise<TurnResult | undefined> {
    let row: MessageRow
    try {
      row = await this.options.messages.load(this.messageId)
    } catch {
      return undefined
    }
    if (row.status === 'pending') {
      // An earlier run of this message (a retried job, a recovery) may have left requests pending.
      this.leftPending = (row.requests ?? []).filter((request) => request.status === 'pending')
      return undefined
    }
    const status: TurnStatus =
      row.status === 'completed' ? 'completed' : row.status === 'cancelled' ? 'cancelled' : 'error'
    const usage: TurnUsage = {
      ...ZERO_USAGE,
      cost: row.cost ?? 0,
      inputTokens: row.inputTokens ?? 0,
      outputTokens: row.outputTokens ?? 0,
      cacheReadTokens: row.cacheReadTokens ?? 0,
      cacheWriteTokens: row.cacheWriteTokens ?? 0,
    }
    const result = turnResult(
      status,
      { messageId: this.messageId, message: row, durationMs: 0, usage },
      status === 'error' ? new Error('The turn had already ended with an error') : undefined,
    )
    this.result = result
    this.trace('turn.already_ended', { messageId: this.messageId, status })
    this.events.start(row.opencodeSessionId ?? null, false)
    this.events.finish(status, row.content, usage, 0, eventError(result))
    return result
  }

  /**
   * Send the prompt once per message, ever: choose the upstream user message id and store it on
   * the row (`claimPrompt`) before the prompt goes out. A run that finds an id already stored for
   * this session attaches to that message instead of prompting; a lost claim attaches to the
   * winner's. Returns true when that message's exchange has already ended upstream.
   */
  private async claimPrompt(sessionId: string, before: readonly OpencodeMessage[]): Promise<boolean> {
    const { messages } = this.options
    let row = await messages.load(this.messageId)
    if (this.options.attachOnly) {
      this.promptAttempted = true // some earlier run may have prompted: a failure must stop the spend
      const id = row.opencodeMessageId
      if (!id || row.opencodeSessionId !== sessionId)
        throw new NothingUpstream('The turn never stored its upstream message')
      if (!before.some((message) => message?.info?.id === id))
        throw new NothingUpstream('The prompt never reached the server')
    }
    if (!row.opencodeMessageId) {
      const id = newMessageId(this.clock.date().getTime())
      if (
        await messages.claimPrompt(this.messageId, { opencodeSessionId: sessionId, opencodeMessageId: id })
      ) {
        this.upstreamMessageId = id
        return false
      }
      row = await messages.load(this.messageId) // another run claimed it first
      if (!row.opencodeMessageId) {
        // The claim only fails on a row that left `pending`: a user's cancel came first.
        this.rowLeftPending = true
        throw new AbortError('The turn row left pending before its prompt')
      }
      if (row.opencodeSessionId === sessionId) {
        this.upstreamMessageId = row.opencodeMessageId
        this.promptSent = true // the winner sends it
        this.trace('prompt.attached', {
          sessionId,
          opencodeMessageId: row.opencodeMessageId,
          reason: 'claim-lost',
        })
        return false
      }
    }
    if (row.opencodeSessionId !== sessionId) {
      // Claimed on a session that was replaced since: that prompt is gone with it.
      this.upstreamMessageId = newMessageId(this.clock.date().getTime())
      return false
    }
    const id = row.opencodeMessageId as string
    this.upstreamMessageId = id
    const index = before.findIndex((message) => message?.info?.id === id)
    if (index < 0) return false // claimed, never arrived upstream: send it now, with the same id
    this.promptSent = true
    this.preTurnCount = index
    const exchange = before.slice(index + 1)
    const ended = exchange.length > 0 && !TurnExchange.moreWork(exchange, this.rejectedCallIds)
    this.trace('prompt.attached', { sessionId, opencodeMessageId: id, reason: ended ? 'ended' : 'running' })
    return ended
  }

  // ── streaming ─────────────────────────────────────────────────────────────────────────────────

  /** Stream the reply into `this.reply` (the caller distills it once the exchange is known). */
  private async streamResponse(sessionId: string, recreated: boolean): Promise<void> {
    const { client, messages } = this.options
    const reply = new Reply({ clock: this.clock, onError: this.hooks.onError })
    if (this.upstreamMessageId) reply.markUserMessage(this.upstreamMessageId) // never the prompt's own text
    this.reply = reply
    if (this.watched)
      this.events.watch(reply, recreated ? { reason: 'session-recreated', sessionId } : undefined)

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
      partsRemoved: markDirty,
    })
    const requests = this.requestsFor(reply, sessionId)
    let firstTokenAt: number | undefined
    let eventCount = 0
    let promptSucceeded = false

    const snapshot = async () => {
      if (!dirty || this.clock.now() - lastSnapshot < this.options.snapshotIntervalMs) return
      lastSnapshot = this.clock.now()
      dirty = false
      try {
        const current = reply.result
        const at = this.clock.now()
        const written = await messages.snapshot(this.messageId, {
          content: current.fullText,
          reasoning: current.reasoningText || null,
          parts: current.parts,
          lastActivityAt: this.clock.date(), // the snapshot is the heartbeat
        })
        if (written) this.lastStamp = at
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
        // The schedule advances first: a failing write or hook waits for the next tick, never
        // retries on every event.
        lastTouch = this.clock.now()
        try {
          await messages.touchActivity(this.messageId, this.clock.date())
          this.lastStamp = lastTouch
        } catch (error) {
          this.report(error, 'warning', { action: 'touchActivity' })
        }
        const onActivityTick = this.options.onActivityTick
        if (onActivityTick)
          await contain(
            () => onActivityTick(this.subject),
            (error) => this.report(error, 'warning', { hook: 'onActivityTick' }),
          )
      }
      await snapshot() // heartbeats flush a snapshot when the deltas stopped
    }

    const onceConnected = async () => {
      this.throwIfStopped()
      // Marked before the POST: an ambiguous answer (a timeout) must never lead to a second prompt.
      this.promptAttempted = true
      if (!this.promptSent)
        await client.prompt(sessionId, {
          text: this.options.prompt,
          agent: await this.perSubject(this.options.agent),
          system: await this.perSubject(this.options.system),
          messageId: this.upstreamMessageId,
          signal: this.signal,
        })
      promptSucceeded = true
    }

    const { activityIntervalMs, snapshotIntervalMs } = this.options
    const { reconnectDelayMs, ...deadlines } = this.options.stream ?? {}
    /** Follows the session's events into the reply: from the prompt, or (resuming) after a seq of its log. */
    const follow = async (afterSeq?: number) => {
      const overallMs = deadlines.overallMs ?? DEFAULT_OVERALL_MS
      const events = client.events(sessionId, {
        signal: this.signal,
        clock: this.clock,
        blocked: () => reply.promptBlocked,
        reconnectDelayMs,
        ...(afterSeq === undefined
          ? { onceConnected, deadlines }
          : { afterSeq, deadlines: { ...deadlines, overallMs: overallMs - this.elapsed(start) } }),
      })
      for await (const event of events) {
        eventCount++
        // Due checks first, so an event with nothing due costs no promise (the hot path). One clock
        // read per event: `apply` is synchronous, so the time after it is this one.
        let now = this.clock.now()
        if (now - lastTouch >= activityIntervalMs) {
          await tick() // every event counts as life
          now = this.clock.now()
        } else if (dirty && now - lastSnapshot >= snapshotIntervalMs) {
          await snapshot() // heartbeats flush too
          now = this.clock.now()
        }
        reply.apply(event)
        if (firstTokenAt === undefined && reply.firstTextSeen) firstTokenAt = now
        if (dirty && now - lastSnapshot >= snapshotIntervalMs) await snapshot()
      }
      this.trace('stream.completed', {
        durationMs: this.elapsed(start),
        firstTokenMs: firstTokenAt === undefined ? null : Math.round(firstTokenAt - start),
        eventCount,
        toolCount: reply.toolCount,
      })
    }
    /** After a broken stream: what the caller does next (rethrow, stop, or recover). */
    const interrupted = (error: unknown): 'rethrow' | 'stopped' | 'recover' => {
      if (error instanceof SessionNotFoundError) return 'rethrow'
      if (this.stopRequested) return 'stopped' // handleStop cancels the row and the upstream run
      if (!promptSucceeded) return 'rethrow' // the prompt may not have run: recovering could finalize stale text
      this.report(error, 'warning', { errorClass: errorName(error) })
      this.trace('stream.interrupted', {
        durationMs: this.elapsed(start),
        eventCount,
        error: errorName(error),
        errorMessage: truncate(errorMessage(error)),
      })
      return 'recover'
    }

    try {
      try {
        const releaseConnections = this.options.releaseConnections
        if (releaseConnections)
          await contain(releaseConnections, (error) =>
            this.report(error, 'warning', { hook: 'releaseConnections' }),
          )
        await follow()
      } catch (error) {
        const next = interrupted(error)
        if (next === 'rethrow') throw error
        if (next === 'stopped') return
        // A server with a durable log (v2): resume after the last event seen, once, in the time left;
        // the reply goes on where it was (no restart). Otherwise, or if that fails too: the messages.
        const afterSeq = reply.lastSeq
        const left = (deadlines.overallMs ?? DEFAULT_OVERALL_MS) - this.elapsed(start)
        if (afterSeq !== undefined && left > 0 && !(error instanceof TimeoutError)) {
          try {
            this.trace('stream.resumed', { afterSeq })
            await follow(afterSeq)
            return
          } catch (again) {
            const then = interrupted(again)
            if (then === 'rethrow') throw again
            if (then === 'stopped') return
          }
        }
        await this.attemptStreamRecovery(sessionId, reply)
      }
    } finally {
      await requests?.close()
    }
  }

  /** Record the reply's permission and question requests and handle them by the turn's policy. */
  private requestsFor(reply: Reply, sessionId: string): TurnRequests | undefined {
    const { client } = this.options
    if (!canAnswerRequests(client)) return undefined
    const requests = new TurnRequests({
      messageId: this.messageId,
      messages: this.options.messages,
      client,
      clock: this.clock,
      policy: { ...REQUEST_POLICY_DEFAULTS, ...stripUndefined(this.options.requests ?? {}) },
      sessionId,
      onExpired: (requestId) => {
        this.trace('request.expired', { requestId, messageId: this.messageId })
        if (this.watched) this.events.resolved(requestId, 'expired')
      },
      onLost: (requestId) => {
        this.trace('request.lost', { requestId, messageId: this.messageId })
        reply.prompts.resolve(requestId) // nothing will answer it: the stream's deadlines run again
      },
      report: (error, context) => this.report(error, 'warning', context),
    })
    reply.addObserver(requests.observer)
    requests.adopt(this.leftPending, reply.prompts)
    this.leftPending = []
    this.rejectedCallIds = requests.rejectedCallIds
    return requests
  }

  private async attemptStreamRecovery(sessionId: string, reply: Reply): Promise<void> {
    try {
      const last = TurnExchange.lastAssistant(await this.fetchCurrentExchange(sessionId))
      if (!last) return
      const parts = extractInterleavedParts(last)
      if (parts.length === 0) return
      // A part still streaming reads `text: ""` on the server (1.18.33) until it ends: never replace
      // what the user already saw with a shorter copy.
      if (Reply.distill(parts).fullText.length < reply.result.fullText.length) return
      reply.replaceParts(parts)
      if (this.watched) this.events.restart('stream-recovered')
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
      const own = this.upstreamMessageId
      const index = own === undefined ? -1 : messages.findIndex((message) => message?.info?.id === own)
      if (index >= 0) return messages.slice(index + 1)
      if (this.options.attachOnly) return [] // never match an attached turn by text
      const start = Math.min(this.preTurnCount, messages.length)
      for (let i = messages.length - 1; i >= start; i--) {
        const message = messages[i] as OpencodeMessage
        if (message?.info?.role === 'user' && extractText(message) === this.options.prompt) {
          // The prompt's parts may have streamed before its role was known: drop them from the reply.
          if (typeof message.info.id === 'string') this.reply?.markUserMessage(message.info.id)
          return messages.slice(i + 1)
        }
      }
      return []
    } catch (error) {
      if (!(error instanceof OpencodeError) || this.stopRequested) throw error
      this.report(error, 'warning', { action: 'fetchCurrentExchange', sessionId })
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
    if (
      TurnExchange.terminal(result.fullText, exchange) ||
      !TurnExchange.moreWork(exchange, this.rejectedCallIds)
    ) {
      return [result, exchange]
    }
    this.trace('response.waiting_for_final_text', { subjectId: this.subject.id, messageId: this.messageId })
    const deadline = this.clock.now() + this.options.finalExchangeTimeoutMs
    for (;;) {
      if (this.clock.now() >= deadline) return [result, exchange]
      if (this.options.finalExchangeRetryDelayMs > 0)
        await this.clock.sleep(this.options.finalExchangeRetryDelayMs, this.signal)
      exchange = await this.fetchCurrentExchange(sessionId)
      result = this.authoritativeResult(streamResult, exchange)
      this.syncReply(result)
      if (
        TurnExchange.terminal(result.fullText, exchange) ||
        !TurnExchange.moreWork(exchange, this.rejectedCallIds)
      ) {
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
    // A step still running shows its open text part as "" (1.18.33): the stream saw more.
    const last = TurnExchange.lastAssistant(exchange)
    if (
      last &&
      TurnExchange.inProgress(last) &&
      exchangeResult.fullText.length < streamResult.fullText.length
    )
      return streamResult
    if (!streamResult.parts.some((part) => isStreamOnlyPart(part))) return exchangeResult
    return Reply.distill(mergeStreamOnlyParts(streamResult.parts, exchangeResult.parts))
  }

  private syncReply(result: ReplyResult): void {
    if (this.reply && result.parts.length > 0) this.reply.syncRecoveredParts(result.parts)
  }

  // ── ending the row ──────────────────────────────────────────────────────────────────────────────

  private costFields(exchange: readonly OpencodeMessage[]): MessageFields {
    const summed = TurnExchange.cost(exchange)
    if (Object.keys(summed).length > 0) {
      this.usage = usageOf(summed, TurnExchange.reasoningTokens(exchange))
      return summed
    }
    const reply = this.reply
    if (!reply || (reply.totalCost === 0 && reply.totalInputTokens === 0 && reply.totalOutputTokens === 0))
      return {}
    const fields = {
      cost: reply.totalCost,
      inputTokens: reply.totalInputTokens,
      outputTokens: reply.totalOutputTokens,
    }
    this.usage = usageOf(fields, 0)
    return fields
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
    const fields = this.resultFields(result, exchange)
    const finalized = await this.persist('finalize', () =>
      this.options.messages.finalize(this.messageId, fields),
    )
    if (!finalized) {
      // Lost the compare-and-set: to a user's cancel, or to another run of this turn that finished it.
      const row = await this.options.messages.load(this.messageId).catch(() => undefined)
      if (row?.status === 'error')
        await this.emitTurnFinished('error', new Error('Another run ended the turn with an error'))
      else await this.emitTurnFinished(row?.status === 'completed' ? 'completed' : 'cancelled')
      return
    }
    const artifacts = this.options.artifacts
    if (artifacts) {
      await new MessageArtifacts({
        storage: artifacts.storage,
        messageId: this.messageId,
        feature: this.options.errorFeature,
        transforms: artifacts.transforms,
        defaultAttach: artifacts.defaultAttach,
        onError: this.hooks.onError,
        onTrace: this.hooks.onTrace,
      }).attachFrom({
        exchange,
        sandbox: artifacts.sandbox,
        cutoff: artifacts.cutoff ?? this.startedDate,
        uploadEcho: artifacts.uploadEcho,
      })
    }
    const onFinalized = this.options.onFinalized
    if (onFinalized) {
      await this.safeCallback('onFinalized', async () =>
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
    try {
      await this.retried('update', () => this.options.messages.update(this.messageId, fields))
    } catch (error) {
      // The row is already `cancelled` (terminal): a retried job could not save more, so the turn
      // ends cancelled and the lost content is reported.
      this.report(error, 'error', { action: 'update' })
    }
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
      return
    }
    const upstream = this.upstreamError(lastAssistant)
    if (upstream) await this.markError('upstream_llm_error', upstream)
    else await this.markError('empty_stream', new EmptyReplyError('The agent finished without a reply'))
  }

  private recoverFrom(message: OpencodeMessage | undefined): ReplyResult | undefined {
    if (!message) return undefined
    const parts = extractInterleavedParts(message)
    if (parts.length === 0) return undefined
    const result = Reply.distill(parts)
    return isBlank(result.fullText) ? undefined : result
  }

  private upstreamError(message: OpencodeMessage | undefined): UpstreamError | undefined {
    const error = extractError(message)
    if (!error) return undefined
    this.trace('response.upstream_error', {
      errorName: error.name ?? null,
      errorMessage: error.message ?? null,
      statusCode: error.statusCode ?? null,
      providerUrl: error.url ?? null,
    })
    const upstream = new UpstreamError(`Upstream LLM error: ${error.name} - ${error.message}`, {
      name: error.name,
      message: error.message,
      statusCode: error.statusCode,
      retryable: error.retryable,
    })
    this.report(upstream, 'error', { ...error })
    return upstream
  }

  private async markError(
    reason: 'upstream_llm_error' | 'empty_stream' | 'nothing_upstream',
    error: Error,
  ): Promise<void> {
    this.trace('response.error', { reason, messageId: this.messageId, subjectId: this.subject.id })
    await this.abortUpstream() // the agent may still be retrying: stop the spend
    await this.persist('error', () =>
      this.options.messages.error(this.messageId, this.options.errorFallbackContent),
    )
    await this.emitTurnFinished('error', error)
  }

  /** The caller's signal fired (or the row was cancelled): stop upstream, cancel the row, keep what streamed. */
  private async handleStop(): Promise<void> {
    const { messages } = this.options
    await this.abortUpstream() // first: whatever the database does, the spend stops
    const cancelled = await this.persist('cancel', () => messages.cancel(this.messageId))
    // false: already cancelled (a user's cancel), or ended otherwise
    const row = cancelled ? undefined : await this.persist('load', () => messages.load(this.messageId))
    if (!row || row.status === 'cancelled') {
      await this.saveCancelledResponse(this.reply?.result ?? Reply.distill([]), [])
    } else {
      await this.emitTurnFinished('cancelled')
    }
  }

  private async abortUpstream(): Promise<void> {
    if (!this.promptAttempted || !this.sessionId || this.upstreamAborted) return
    this.upstreamAborted = true
    try {
      await this.options.client.abortSession(this.sessionId)
    } catch (error) {
      this.report(error, 'warning', { action: 'abortSession', sessionId: this.sessionId })
    }
  }

  private async handleUnexpectedError(error: unknown): Promise<void> {
    this.report(error, 'error', { messageId: this.messageId, errorClass: errorName(error) })
    await this.contained(() => this.abortUpstream())
    await this.persist('error', () =>
      this.options.messages.error(this.messageId, this.options.errorFallbackContent),
    )
    await this.emitTurnFinished('failed', error)
  }

  /**
   * A terminal write (or the status read before it), retried with doubling backoff on the clock.
   * When every try failed the row is still `pending`: throws {@link PersistenceError} (kept in
   * `persistenceFailure`, so `run` rejects with it).
   */
  private async persist<T>(action: string, write: () => Promise<T>): Promise<T> {
    try {
      return await this.retried(action, write)
    } catch (error) {
      this.persistenceFailure ??= new PersistenceError(
        `The turn's ${action} kept failing after ${this.options.terminalWriteAttempts} tries; the row is still pending`,
        { cause: error },
      )
      throw this.persistenceFailure
    }
  }

  /** Run `write` up to `terminalWriteAttempts` times; throws the last error. */
  private async retried<T>(action: string, write: () => Promise<T>): Promise<T> {
    let delay = this.options.terminalWriteRetryDelayMs
    for (let attempt = 1; ; attempt++) {
      try {
        return await write()
      } catch (error) {
        if (attempt >= Math.max(1, this.options.terminalWriteAttempts)) throw error
        this.report(error, 'warning', { action, attempt })
        this.trace('turn.write_retried', { action, attempt, errorClass: errorName(error) })
        // No signal: a stop must not skip the write that records it.
        if (delay > 0) await this.clock.sleep(delay)
        delay *= 2
      }
    }
  }

  private async emitTurnFinished(status: TurnStatus, error?: unknown): Promise<void> {
    if (this.result) return // exactly once, whatever failed after
    let row: MessageRow | null = null
    await this.contained(async () => {
      row = await this.options.messages.load(this.messageId)
    })
    const result = turnResult(
      status,
      { messageId: this.messageId, message: row, durationMs: this.elapsed(), usage: this.usage },
      error,
    )
    this.result = result
    const onTurnFinished = this.options.onTurnFinished
    if (onTurnFinished) await this.safeCallback('onTurnFinished', () => onTurnFinished(result))
    const toolCount = (row as MessageRow | null)?.toolCalls?.length ?? 0
    this.trace('turn.finished', turnFinishedPayload(result, toolCount))
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────────────────

  private async perSubject<T>(value: PerSubject<T> | undefined): Promise<T | undefined> {
    return typeof value === 'function'
      ? await (value as (subject: SubjectRow) => T | Promise<T>)(this.subject)
      : value
  }

  private async safeCallback(name: 'onFinalized' | 'onTurnFinished', run: () => unknown): Promise<void> {
    await contain(run, (error) => {
      this.report(error, 'warning', {
        callback: name,
        messageId: this.messageId,
        errorClass: errorName(error),
      })
      this.trace('callback.error', { callback: name, errorClass: errorName(error) })
    })
  }

  /** Errors inside error handling are reported, never thrown (the Ruby original let them escape). */
  private async contained(run: () => unknown): Promise<void> {
    await contain(run, (error) =>
      this.report(error, 'error', { action: 'turnErrorHandling', messageId: this.messageId }),
    )
  }

  private trace(name: string, payload: Record<string, unknown>): void {
    trace(this.hooks.onTrace, name, payload, this.hooks.onError)
  }

  private report(
    error: unknown,
    severity: NonNullable<ErrorContext['severity']>,
    context: Record<string, unknown>,
  ): void {
    reportError(this.hooks.onError, error, {
      messageId: this.messageId,
      ...context,
      feature: this.options.errorFeature,
      severity,
    })
  }

  private elapsed(since = this.startedAt): number {
    return Math.round(this.clock.now() - since)
  }
}

function usageOf(fields: MessageFields, reasoningTokens: number): TurnUsage {
  return {
    cost: fields.cost ?? 0,
    inputTokens: fields.inputTokens ?? 0,
    outputTokens: fields.outputTokens ?? 0,
    reasoningTokens,
    cacheReadTokens: fields.cacheReadTokens ?? 0,
    cacheWriteTokens: fields.cacheWriteTokens ?? 0,
  }
}

function eventError(result: TurnResult): TurnEventError | undefined {
  if (!('error' in result)) return undefined
  const error = result.error
  const view: TurnEventError = { name: errorName(error), message: errorMessage(error) }
  if (error instanceof OpencodeError) view.code = error.code
  return view
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
