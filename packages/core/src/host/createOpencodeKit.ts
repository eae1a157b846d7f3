import { type Clock, systemClock } from '../support/Clock.js'
import type { ErrorHook } from '../support/ErrorHook.js'
import type { TraceHook } from '../support/TraceHook.js'
import { Client } from '../wire/Client.js'
import { SessionNotFoundError } from '../wire/errors.js'
import type { OpencodeMessage } from '../wire/types.js'
import type { DescribeToolOptions } from './describeTool.js'
import { ConfigurationError } from './errors.js'
import type {
  MessagePort,
  MessageRow,
  RecordPort,
  RowId,
  StoragePort,
  StoredRequest,
  SubjectRow,
} from './ports.js'
import type { RequestAnswer, RequestPolicy } from './RequestPolicy.js'
import { canAnswerRequests, replyToRequest } from './replyToRequest.js'
import type { SandboxSource } from './SandboxSource.js'
import { assertPermissionPolicy, type PermissionPolicy, Session, type SessionClient } from './Session.js'
import type { Transform } from './Transform.js'
import {
  type PerSubject,
  runTurn,
  startTurn,
  type TurnArtifacts,
  type TurnClient,
  type TurnHandle,
  type TurnOptions,
  type TurnStreamOptions,
  type TurnTuning,
} from './Turn.js'
import type { TurnResult } from './TurnResult.js'

/** The wire client a kit needs: `Client` has it (so does a test fake with these six methods). */
export type KitClient = TurnClient & SessionClient

/** Options of {@link createOpencodeKit}: everything that is the same for every turn. */
export interface OpencodeKitOptions {
  /** The OpenCode server: a `Client`, or its base URL. */
  client: KitClient | string
  /** Subject rows (conversations, tickets…): from your ORM adapter. */
  records: RecordPort
  /** Assistant message rows: from your ORM adapter. */
  messages: MessagePort
  /** Where a completed turn's files go (`write` tools, the sandbox). Without it, none are attached. */
  storage?: StoragePort
  /**
   * Permission rules of new sessions: rules, a function of the subject, or `'server-defaults'`.
   * Required — start from `denyAll()` / `allowOnly([...])`.
   */
  permissions: PermissionPolicy
  /** Errors the kit handles without throwing (default: a concise `console.warn` with the error and the turn). */
  onError?: ErrorHook
  /** Trace events (`response.started`, `turn.finished`…); they also go to `node:diagnostics_channel`. */
  onTrace?: TraceHook
  /** Once per turn, at the end of every path (before the turn's own `onTurnFinished`). */
  onTurnFinished?: (result: TurnResult) => unknown
  /** Throttled keep-alive during a long stream. */
  onActivityTick?: (subject: SubjectRow) => unknown
  /** Called before a turn's stream opens: release pooled DB connections the job holds. */
  releaseConnections?: () => unknown
  /** The OpenCode agent to run (`build`, `plan`…), or a function of the subject. */
  agent?: PerSubject<string | undefined>
  /** Extra system prompt, or a function of the subject. */
  system?: PerSubject<string | undefined>
  /** Product rules that turn agent files into trusted artifacts (needs `storage`). */
  transforms?: readonly Transform[]
  /** `'all'` (default) attaches every safe sandbox file no transform claimed; `'none'` only transformed ones. */
  defaultAttach?: 'all' | 'none'
  /** Labels and icons of the tool views in `tool` events. */
  tools?: DescribeToolOptions
  /** Time source for throttles, deadlines and delays (default: the system clock). */
  clock?: Clock
  /** Stream deadlines (defaults: 600 s overall, 120 s to the first event). */
  stream?: TurnStreamOptions
  /** Tuning defaults of every turn (snapshot interval, final-exchange wait…). */
  tuning?: Partial<TurnTuning>
  /**
   * What turns do with the agent's permission and question requests (default: ask, answered
   * through {@link OpencodeKit.reply} from any process, rejected after 5 minutes without an answer).
   */
  requests?: RequestPolicy
}

/** What one turn needs beyond the kit's configuration. */
export interface StartTurnInput {
  /** The subject row (conversation) the turn belongs to. */
  subjectId: RowId
  /** The assistant message row to stream into (status `pending`). */
  messageId: RowId
  /** The user's prompt. */
  prompt: string
  /** Stops the turn: the row ends `cancelled`, the upstream run is aborted. */
  signal?: AbortSignal
  /** The agent for this turn (overrides the kit's). */
  agent?: string
  /** Extra system prompt for this turn (overrides the kit's). */
  system?: string
  /** The agent's working directory to collect files from, and which files to skip. */
  sandbox?: { source: SandboxSource; cutoff?: Date; uploadEcho?: readonly string[] }
  /** After a successful finalize. May be async; a failure is reported, never changes the result. */
  onFinalized?: (event: { message: MessageRow; exchange: readonly OpencodeMessage[] }) => unknown
  /** Once, at the end of every path (after the kit's). */
  onTurnFinished?: (result: TurnResult) => unknown
  /** Tuning for this turn only. */
  tuning?: Partial<TurnTuning>
  /** Stream deadlines for this turn only (merged over the kit's). */
  stream?: TurnStreamOptions
  /** The request policy for this turn only (merged over the kit's). */
  requests?: RequestPolicy
}

/** A configured opencode-kit: the ports, the client and the policies, ready to run turns. */
export interface OpencodeKit {
  readonly client: KitClient
  readonly records: RecordPort
  readonly messages: MessagePort
  readonly storage: StoragePort | undefined
  /**
   * Start a turn: returns at once with `events` (iterate them to stream the reply) and `result`.
   * The turn runs whether or not anyone iterates.
   */
  startTurn(input: StartTurnInput): TurnHandle
  /** Run a turn to its end when nobody watches live. Rejects only with `PersistenceError`. */
  runTurn(input: StartTurnInput): Promise<TurnResult>
  /** The subject's {@link Session} (to `ensure`, `recreate` or `abort` outside a turn). */
  session(subjectId: RowId): Promise<Session>
  /**
   * Resolve every stalled turn: `pending` rows whose `lastActivityAt` is older than `stalledForMs`
   * (their worker died). Each is taken with a lease (`claimStalled`) so a live turn or a second
   * recoverer is never touched, then ended through the compare-and-set — never over a cancel: an
   * exchange that ended upstream is finalized with its content, cost and artifacts; an agent still
   * working is streamed into the row (no new prompt); nothing usable upstream aborts the session and
   * ends the row `error` with the fallback text. Run it on a schedule.
   */
  recoverTurns(options?: RecoverTurnsOptions): Promise<RecoveryReport>
  /** Recover one message if it is stalled (see {@link OpencodeKit.recoverTurns}); undefined when it is not. */
  recoverTurn(
    messageId: RowId,
    options?: Pick<RecoverTurnsOptions, 'stalledForMs'>,
  ): Promise<TurnResult | undefined>
  /**
   * Answer a permission or question request of a running turn, from any process (the web process
   * answers, the worker running the turn goes on): recorded on the message row with a
   * compare-and-set, so of two answers exactly one wins (the other rejects with
   * `RequestNotPendingError`), then sent to the server. See {@link replyToRequest}.
   *
   * @example
   * ```ts
   * for await (const event of turn.events)
   *   if (event.type === 'permission') await kit.reply(messageId, event.request.id, 'once')
   * ```
   */
  reply(messageId: RowId, requestId: string, answer: RequestAnswer): Promise<StoredRequest>
}

/** Options of {@link OpencodeKit.recoverTurns}. */
export interface RecoverTurnsOptions {
  /**
   * A pending row is stalled when its liveness stamp is older than this (default 60 000). A live
   * turn stamps at least every `livenessIntervalMs` (default 10 s), so keep this several times
   * larger.
   */
  stalledForMs?: number
  /** At most this many rows per call, oldest first (default 100). */
  limit?: number
  /** Rows recovered at once (default 4). */
  concurrency?: number
}

/** What {@link OpencodeKit.recoverTurns} did. */
export interface RecoveryReport {
  /** Stalled rows found. */
  found: number
  /** The recovered turns' results, one per row this call took over. */
  recovered: TurnResult[]
  /** Rows another recoverer or a live turn took first (the lease was lost). */
  skipped: number
  /** Rows whose recovery rejected (`PersistenceError`); they stay pending for the next run. */
  failed: { messageId: RowId; error: unknown }[]
}

/**
 * Configure opencode-kit once: the OpenCode client, your ORM adapter's ports, storage, the
 * permission policy and the hooks. Then each job runs `kit.startTurn(...)` or `kit.runTurn(...)`
 * with only what changes per turn.
 *
 * @example
 * ```ts
 * const kit = createOpencodeKit({
 *   client: process.env.OPENCODE_URL ?? 'http://127.0.0.1:4096',
 *   ...knexAdapter(knex),
 *   storage: fsStorage({ root: './artifacts' }),
 *   permissions: allowOnly([{ permission: 'read', pattern: '*' }]),
 * })
 * const turn = kit.startTurn({ subjectId, messageId, prompt: 'Summarize the ticket' })
 * for await (const event of turn.events) if (event.type === 'text-delta') process.stdout.write(event.text)
 * const result = await turn.result
 * if (result.status === 'completed') console.log(result.usage.cost)
 * ```
 */
export function createOpencodeKit(options: OpencodeKitOptions): OpencodeKit {
  assertPermissionPolicy(options.permissions, 'createOpencodeKit')
  for (const [name, port, methods] of [
    ['records', options.records, ['load', 'withLock', 'setSessionId']],
    [
      'messages',
      options.messages,
      ['load', 'finalize', 'error', 'cancel', 'update', 'snapshot', 'touchActivity', 'claimPrompt'],
    ],
  ] as const) {
    const missing = methods.filter(
      (method) => typeof (port as unknown as Record<string, unknown>)?.[method] !== 'function',
    )
    if (missing.length > 0)
      throw new ConfigurationError(
        `createOpencodeKit: \`${name}\` is not a port (missing ${missing.join(', ')})`,
      )
  }
  const client: KitClient =
    typeof options.client === 'string' ? new Client({ baseUrl: options.client }) : options.client
  if (!client || typeof client.createSession !== 'function')
    throw new ConfigurationError('createOpencodeKit: `client` must be a Client or the server URL')
  const { records, messages, storage } = options

  const session = async (subjectId: RowId): Promise<Session> =>
    new Session({
      subject: await records.load(subjectId),
      records,
      client,
      permissions: options.permissions,
      onError: options.onError,
    })

  const turnOptions = (input: StartTurnInput): TurnOptions => {
    const artifacts: TurnArtifacts | undefined = storage
      ? {
          storage,
          transforms: options.transforms,
          defaultAttach: options.defaultAttach,
          sandbox: input.sandbox?.source,
          cutoff: input.sandbox?.cutoff,
          uploadEcho: input.sandbox?.uploadEcho,
        }
      : undefined
    const kitFinished = options.onTurnFinished
    const turnFinished = input.onTurnFinished
    return {
      ...options.tuning,
      ...input.tuning,
      messageId: input.messageId,
      prompt: input.prompt,
      client,
      messages,
      session: new LazySession(input.subjectId, session),
      signal: input.signal,
      agent: input.agent ?? options.agent,
      system: input.system ?? options.system,
      artifacts,
      onFinalized: input.onFinalized,
      onTurnFinished:
        kitFinished && turnFinished
          ? async (result) => {
              try {
                await kitFinished(result)
              } finally {
                await turnFinished(result)
              }
            }
          : (kitFinished ?? turnFinished),
      onActivityTick: options.onActivityTick,
      releaseConnections: options.releaseConnections,
      onError: options.onError,
      onTrace: options.onTrace,
      clock: options.clock,
      stream: { ...options.stream, ...input.stream },
      tools: options.tools,
      requests: { ...options.requests, ...input.requests },
    }
  }

  const clock = options.clock ?? systemClock
  const recoverTurn = async (
    messageId: RowId,
    recovery: Pick<RecoverTurnsOptions, 'stalledForMs'> = {},
  ): Promise<TurnResult | undefined> => {
    const now = clock.date()
    const before = new Date(now.getTime() - (recovery.stalledForMs ?? DEFAULT_STALLED_FOR_MS))
    if (!(await messages.claimStalled(messageId, { before, at: now }))) return undefined
    const row = await messages.load(messageId)
    const sessionId = row.opencodeSessionId
    const subject: SubjectRow = { id: `recovery:${messageId}`, title: null, opencodeSessionId: sessionId }
    const fixed = {
      subject,
      ensure: async () => {
        if (!sessionId) throw new SessionNotFoundError('The turn never stored its upstream session')
        return { id: sessionId, created: false }
      },
      recreate: async (): Promise<never> => {
        throw new SessionNotFoundError('A recovered turn never recreates its session')
      },
    }
    const base = turnOptions({ subjectId: subject.id, messageId, prompt: '' })
    return runTurn({ ...base, session: fixed, attachOnly: true, onActivityTick: undefined })
  }

  const recoverTurns = async (recovery: RecoverTurnsOptions = {}): Promise<RecoveryReport> => {
    const stalledForMs = recovery.stalledForMs ?? DEFAULT_STALLED_FOR_MS
    const ids = await messages.listStalled({
      before: new Date(clock.date().getTime() - stalledForMs),
      limit: recovery.limit ?? 100,
    })
    const report: RecoveryReport = { found: ids.length, recovered: [], skipped: 0, failed: [] }
    let next = 0
    const worker = async () => {
      while (next < ids.length) {
        const messageId = ids[next++] as RowId
        try {
          const result = await recoverTurn(messageId, { stalledForMs })
          if (result) report.recovered.push(result)
          else report.skipped++
        } catch (error) {
          report.failed.push({ messageId, error })
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, recovery.concurrency ?? 4) }, worker))
    return report
  }

  const reply = (messageId: RowId, requestId: string, answer: RequestAnswer) => {
    if (!canAnswerRequests(client))
      throw new ConfigurationError(
        'kit.reply: the client cannot answer requests (replyPermission, replyQuestion, rejectQuestion)',
      )
    return replyToRequest({ messages, client, clock: options.clock }, messageId, requestId, answer)
  }

  return {
    client,
    records,
    messages,
    storage,
    startTurn: (input) => startTurn(turnOptions(input)),
    runTurn: (input) => runTurn(turnOptions(input)),
    session,
    recoverTurns,
    recoverTurn,
    reply: async (messageId, requestId, answer) => reply(messageId, requestId, answer),
  }
}

/** Default of {@link RecoverTurnsOptions.stalledForMs}: six missed liveness stamps. */
const DEFAULT_STALLED_FOR_MS = 60_000

/** A {@link Session} that loads its subject row on first use (inside the turn, so a failure is the turn's). */
class LazySession {
  private loaded: Session | undefined

  constructor(
    private readonly subjectId: RowId,
    private readonly load: (subjectId: RowId) => Promise<Session>,
  ) {}

  get subject(): SubjectRow {
    return this.loaded?.subject ?? { id: this.subjectId, title: null, opencodeSessionId: null }
  }

  async ensure() {
    this.loaded ??= await this.load(this.subjectId)
    return this.loaded.ensure()
  }

  async recreate() {
    this.loaded ??= await this.load(this.subjectId)
    return this.loaded.recreate()
  }
}
