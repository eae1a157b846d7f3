import type { Clock } from '../../support/Clock.js'
import {
  AbortError,
  ConnectionError,
  IdleStreamError,
  OpencodeError,
  ServerError,
  StaleSessionError,
  TimeoutError,
  UnsupportedFeatureError,
} from '../errors.js'
import { SseDecoder } from '../SseDecoder.js'
import {
  isObject,
  type JsonObject,
  type OpencodeEvent,
  type OpencodeMessage,
  type OpencodeSession,
} from '../types.js'
import type {
  CallOptions,
  CreateSessionInput,
  EventsOptions,
  PromptInput,
  WireClient,
} from '../WireClient.js'
import { V2EventMapper } from './V2EventMapper.js'
import { messagesFromV2 } from './v2Normalize.js'
import type { V2Event, V2Message, V2Price, V2PromptReceipt, V2Session } from './v2Types.js'

/** The HTTP plumbing a {@link V2Client} runs on (the `Client` it belongs to provides it). */
export interface V2Http {
  /** Time source for deadlines, delays and polls. */
  readonly clock: Clock
  /** One JSON request with the client's auth, directory and the status → error mapping; `{}` for 204. */
  request(method: string, path: string, options?: CallOptions & { body?: unknown }): Promise<unknown>
  /** Opens an event stream (`accept: text/event-stream`); rejects on network errors. */
  open(path: string, signal: AbortSignal): Promise<Response>
}

/** Extra options of {@link V2Client.events}. */
export interface V2EventsOptions extends EventsOptions {
  /**
   * Resume after this position of the session's durable log (an event's `seq`): the missed events
   * are replayed from `GET /api/session/:id/history` before live ones, and the stream ends at once
   * if the session is no longer running.
   */
  afterSeq?: number
}

/** How a prompt is delivered to a session that is already running (v2 only). */
export type PromptDelivery = 'steer' | 'queue'

/** `prompt` input on the v2 API. */
export interface V2PromptInput extends PromptInput {
  /** `queue` (default here: runs after the running turn, as on the legacy API) or `steer` (folded into it; the server's own default). */
  delivery?: PromptDelivery
}

const DEFAULTS = {
  overallMs: 600_000,
  firstEventMs: 120_000,
  readMs: 30_000,
  connectMs: 10_000,
  blockedMs: 3_600_000,
}
/** First wait before asking whether a quiet session still runs; doubles up to {@link MAX_POLL_MS}. */
const FIRST_POLL_MS = 250
const MAX_POLL_MS = 5_000
/** Shortest wait between two polls of a session that still runs. */
const MIN_POLL_MS = 50
const HISTORY_PAGE = 100
const MESSAGE_PAGE = 100
const HEARTBEAT = /(^|\n):[^\n]*heartbeat/

const enc = encodeURIComponent

/** Events after which the run may have ended (and a step that did not end in tool calls): ask `GET /api/session/active` at once. */
const SETTLING = new Set([
  'session.next.step.failed',
  'session.next.tool.failed',
  'permission.v2.replied',
  'question.v2.rejected',
])

/**
 * The v2 transport: OpenCode's `/api/*` routes (OpenCode 2.0's server API, served beside the
 * legacy routes since 1.18) behind the same {@link WireClient} interface as the legacy transport,
 * yielding the same normalized events (see {@link V2EventMapper}). Build it through
 * `new Client({ api: 'v2' })` (or let `api: 'auto'` pick it); this class is what the client
 * delegates to.
 *
 * What differs from the legacy API, and how it is handled:
 * - Text and reasoning deltas, permission and question requests exist only on the live stream
 *   `GET /api/event`, which also skips durable events now and then: the transport reads the live
 *   stream and fills every `seq` gap (and every reconnect) from `GET /api/session/:id/history`.
 * - There is no idle event (and `/wait` answers 503 on 1.18): once a run may have ended, the
 *   transport asks `GET /api/session/active` and ends the stream with a synthetic
 *   `session.status {type: "idle"}` when the session no longer runs.
 * - Steps report `cost: 0` on 1.18 (the runner hard-codes it): the cost is computed from the
 *   model's prices of `GET /api/model` when the server reports 0.
 * - No per-session permission rules (and the v2 runner ignores a legacy session's): this class
 *   throws {@link UnsupportedFeatureError} for `createSession({ permissions })`; `Client` in
 *   `api: 'auto'` keeps such sessions on the legacy API when the server offers it.
 * - No delete route: `deleteSession` uses the legacy `DELETE /session/:id`.
 *
 * @example
 * ```ts
 * const client = new Client({ baseUrl: 'http://127.0.0.1:4096', api: 'v2', directory: '/srv/project' })
 * const session = await client.createSession()
 * for await (const event of client.events(session.id, {
 *   onceConnected: () => client.prompt(session.id, { text: 'Hi', messageId: 'msg_…' }),
 * })) reply.apply(event)
 * ```
 */
export class V2Client implements WireClient {
  /** Which API this transport speaks. */
  readonly api = 'v2' as const
  private prices: Promise<Map<string, V2Price[]>> | undefined
  private readonly requestSessions = new Map<string, string>()
  /** The `admittedSeq` of the latest prompt this client sent, per session: where a new stream starts. */
  private readonly admitted = new Map<string, number>()

  constructor(private readonly http: V2Http) {}

  // ── sessions ────────────────────────────────────────────────────────────────────────────────

  /** `POST /api/session` (`agent`, `model`); `title`, `metadata` and `parentId` have no v2 field and are ignored. */
  async createSession(input: CreateSessionInput = {}, options: CallOptions = {}): Promise<OpencodeSession> {
    if (input.permissions && input.permissions.length > 0)
      throw new UnsupportedFeatureError(
        "OpenCode's v2 API has no per-session permission rules: configure an agent with the rules and pass `agent`, or let `new Client()` (api: 'auto') keep such sessions on the legacy API",
      )
    const [providerID, ...model] = input.model?.split('/') ?? []
    const body: JsonObject = {}
    if (input.agent) body.agent = input.agent
    if (input.model) body.model = { providerID, id: model.join('/') }
    const created = (await this.http.request('POST', '/api/session', { ...options, body })) as {
      data?: V2Session
    }
    return sessionFromV2(created?.data)
  }

  /** `GET /api/session/:id`. */
  async getSession(id: string, options: CallOptions = {}): Promise<OpencodeSession> {
    const found = (await this.http.request('GET', `/api/session/${enc(id)}`, options)) as { data?: V2Session }
    return sessionFromV2(found?.data)
  }

  /** The v2 API has no delete route: the legacy `DELETE /session/:id` removes the session for both APIs. */
  deleteSession(id: string, options: CallOptions = {}): Promise<unknown> {
    return this.http.request('DELETE', `/session/${enc(id)}`, options)
  }

  /**
   * `POST /api/session/:id/interrupt` (204). The running step fails with "Provider turn
   * interrupted" (mapped to `MessageAbortedError`), keeping the text so far. Unlike v1's abort, an
   * unknown session answers 404 ({@link SessionNotFoundError}).
   */
  async abortSession(id: string, options: CallOptions = {}): Promise<unknown> {
    await this.http.request('POST', `/api/session/${enc(id)}/interrupt`, options)
    return true
  }

  // ── messages ────────────────────────────────────────────────────────────────────────────────

  /**
   * Every message of the session, oldest first, in v1's `{info, parts}` shape: all pages of
   * `GET /api/session/:id/message?order=asc` (see {@link messagesFromV2}).
   */
  async getMessages(sessionId: string, options: CallOptions = {}): Promise<OpencodeMessage[]> {
    const messages = await this.rawMessages(sessionId, options)
    const needsPrices = messages.some(
      (message) => message.type === 'assistant' && !message.cost && message.tokens,
    )
    const prices = needsPrices ? await this.loadPrices(options) : undefined
    return messagesFromV2(sessionId, messages, { pricesOf: (model) => prices?.get(model) })
  }

  /** The session's v2 messages, oldest first (every page). */
  async rawMessages(sessionId: string, options: CallOptions = {}): Promise<V2Message[]> {
    const all: V2Message[] = []
    let query = `order=asc&limit=${MESSAGE_PAGE}`
    for (;;) {
      const page = (await this.http.request(
        'GET',
        `/api/session/${enc(sessionId)}/message?${query}`,
        options,
      )) as {
        data?: V2Message[]
        cursor?: { next?: string }
      }
      const data = Array.isArray(page?.data) ? page.data : []
      all.push(...data)
      // The last page still has a `next` cursor: a short page is the end.
      if (data.length < MESSAGE_PAGE || !page.cursor?.next) return all
      query = `cursor=${enc(page.cursor.next)}&limit=${MESSAGE_PAGE}`
    }
  }

  /** Durable events of the session after `afterSeq` (every page of `GET /api/session/:id/history`). */
  async history(sessionId: string, afterSeq: number, options: CallOptions = {}): Promise<V2Event[]> {
    const all: V2Event[] = []
    let after = afterSeq
    for (;;) {
      const page = (await this.http.request(
        'GET',
        `/api/session/${enc(sessionId)}/history?after=${after}&limit=${HISTORY_PAGE}`,
        options,
      )) as { data?: V2Event[]; hasMore?: boolean }
      const data = Array.isArray(page?.data) ? page.data : []
      all.push(...data)
      const last = data.at(-1)?.durable?.seq
      if (!page?.hasMore || data.length === 0 || last === undefined) return all
      after = last
    }
  }

  // ── prompts ─────────────────────────────────────────────────────────────────────────────────

  /**
   * `POST /api/session/:id/prompt {prompt: {text}, id, delivery}` → the receipt. The caller's
   * `messageId` is the idempotency key: the same id again returns the first receipt and runs
   * nothing twice. `agent` and `model` switch the session first (`POST /api/session/:id/agent`,
   * `/model`; the session keeps them for later prompts). `parts`, `system`, `tools`, `noReply`,
   * `format` and `variant` have no v2 field.
   */
  async promptWithReceipt(sessionId: string, input: V2PromptInput): Promise<V2PromptReceipt> {
    const call = { signal: input.signal, timeoutMs: input.timeoutMs }
    // v2 prompts name no agent or model: the session switches first (it keeps them for later prompts).
    if (input.agent)
      await this.http.request('POST', `/api/session/${enc(sessionId)}/agent`, {
        ...call,
        body: { agent: input.agent },
      })
    if (input.model) {
      const [providerID, ...model] = input.model.split('/')
      await this.http.request('POST', `/api/session/${enc(sessionId)}/model`, {
        ...call,
        body: { model: { providerID, id: model.join('/') } },
      })
    }
    const body: JsonObject = { prompt: { text: input.text } }
    if (input.messageId) body.id = input.messageId
    // `queue` unless asked: one prompt, one run, as on the legacy API (the server's default, `steer`,
    // folds a prompt sent during a run into that run, so two turns would share one answer).
    body.delivery = input.delivery ?? 'queue'
    const answer = (await this.http.request('POST', `/api/session/${enc(sessionId)}/prompt`, {
      ...call,
      body,
    })) as { data?: V2PromptReceipt }
    if (!isObject(answer?.data)) throw new ServerError('The prompt receipt is missing', { body: answer })
    if (typeof answer.data.admittedSeq === 'number') this.admitted.set(sessionId, answer.data.admittedSeq)
    return answer.data
  }

  /** See {@link V2Client.promptWithReceipt}. */
  async prompt(sessionId: string, input: V2PromptInput): Promise<void> {
    await this.promptWithReceipt(sessionId, input)
  }

  // ── questions and permissions ───────────────────────────────────────────────────────────────

  /**
   * `POST /api/session/:sessionId/permission/:id/reply` (204). The v2 routes name the session:
   * pass `sessionId`, else it is looked up among the requests this client streamed or the
   * location's pending requests.
   */
  async replyPermission(
    input: { requestId: string; reply: 'once' | 'always' | 'reject'; message?: string; sessionId?: string },
    options: CallOptions = {},
  ): Promise<unknown> {
    const sessionId = input.sessionId ?? (await this.sessionOfRequest('permission', input.requestId, options))
    await this.http.request(
      'POST',
      `/api/session/${enc(sessionId)}/permission/${enc(input.requestId)}/reply`,
      {
        ...options,
        body:
          input.message === undefined
            ? { reply: input.reply }
            : { reply: input.reply, message: input.message },
      },
    )
    return true
  }

  /** `POST /api/session/:sessionId/question/:id/reply {answers}` (204); see {@link V2Client.replyPermission} for `sessionId`. */
  async replyQuestion(
    input: { requestId: string; answers: unknown; sessionId?: string },
    options: CallOptions = {},
  ): Promise<unknown> {
    const sessionId = input.sessionId ?? (await this.sessionOfRequest('question', input.requestId, options))
    await this.http.request('POST', `/api/session/${enc(sessionId)}/question/${enc(input.requestId)}/reply`, {
      ...options,
      body: { answers: input.answers },
    })
    return true
  }

  /** `POST /api/session/:sessionId/question/:id/reject` (204). */
  async rejectQuestion(
    input: { requestId: string; sessionId?: string },
    options: CallOptions = {},
  ): Promise<unknown> {
    const sessionId = input.sessionId ?? (await this.sessionOfRequest('question', input.requestId, options))
    await this.http.request(
      'POST',
      `/api/session/${enc(sessionId)}/question/${enc(input.requestId)}/reject`,
      options,
    )
    return true
  }

  private async sessionOfRequest(kind: 'permission' | 'question', requestId: string, options: CallOptions) {
    const known = this.requestSessions.get(requestId)
    if (known) return known
    const pending = (await this.http.request('GET', `/api/${kind}/request`, options)) as {
      data?: JsonObject[]
    }
    const found = (pending?.data ?? []).find((request) => request.id === requestId)
    if (typeof found?.sessionID !== 'string')
      throw new OpencodeError(`No pending ${kind} request ${requestId}: pass sessionId`, { status: 404 })
    return found.sessionID
  }

  // ── costs ───────────────────────────────────────────────────────────────────────────────────

  /** Prices per `provider/model` from `GET /api/model` (fetched once, on the first step that needs them). */
  private loadPrices(options: CallOptions = {}): Promise<Map<string, V2Price[]>> {
    this.prices ??= (async () => {
      const listed = (await this.http.request('GET', '/api/model', { signal: options.signal })) as {
        data?: Array<{ id?: string; providerID?: string; cost?: V2Price[] }>
      }
      const prices = new Map<string, V2Price[]>()
      for (const model of listed?.data ?? [])
        if (model.providerID && model.id && Array.isArray(model.cost))
          prices.set(`${model.providerID}/${model.id}`, model.cost)
      return prices
    })().catch((error: unknown) => {
      this.prices = undefined
      throw error
    })
    return this.prices
  }

  // ── streaming ───────────────────────────────────────────────────────────────────────────────

  /**
   * The session's events until its run ends, normalized to the legacy vocabulary (see
   * {@link V2EventMapper}); `server.connected` per connection and `server.heartbeat` per heartbeat
   * comment are yielded too. Reads the live `GET /api/event`, fills every gap in the durable
   * `seq` from the session's history (after a reconnect too: nothing durable is lost), re-announces
   * pending permission and question requests after a reconnect, and ends with a synthetic
   * `session.status {type: "idle"}` once `GET /api/session/active` no longer lists the session.
   * Deadlines and typed errors as in `Client.events`.
   */
  async *events(
    sessionId: string,
    options: V2EventsOptions = {},
  ): AsyncGenerator<OpencodeEvent, void, undefined> {
    const clock = options.clock ?? this.http.clock
    const deadlines = { ...DEFAULTS, ...options.deadlines }
    const signal = options.signal
    const mapper = new V2EventMapper(sessionId, {
      pricesOf: (model) => this.pricesSnapshot?.get(model),
    })
    if (options.afterSeq !== undefined) mapper.prompted = true // resuming a prompt sent earlier
    // Where the stream starts in the durable log: after `afterSeq`, else just before the prompt sent
    // from `onceConnected` (its receipt says), else at the first durable event seen. -1: not known yet.
    let lastSeq = options.afterSeq ?? -1
    let overallDeadline = clock.now() + deadlines.overallMs
    let firstEventDeadline = clock.now() + deadlines.firstEventMs
    let sessionEventSeen = false
    let lastSessionEventAt = clock.now()
    let blockedSince: number | undefined
    let blockedTotal = 0
    let connections = 0
    let onceCalled = false
    let pollDelay = FIRST_POLL_MS
    let nextPollAt: number | undefined
    const askedRequests = new Set<string>()

    const abortError = () => new AbortError('The event stream was aborted', { cause: signal?.reason })
    const isBlocked = () => options.blocked?.() === true
    const checkDeadlines = () => {
      if (signal?.aborted) throw abortError()
      const now = clock.now()
      if (isBlocked()) {
        const since = blockedSince ?? now
        blockedSince = since
        if (blockedTotal + (now - since) < deadlines.blockedMs) {
          if (now >= overallDeadline) overallDeadline = now + 1
          lastSessionEventAt = now
        }
      } else if (blockedSince !== undefined) {
        blockedTotal += now - blockedSince
        blockedSince = undefined
      }
      if (now >= overallDeadline)
        throw new TimeoutError(`The session ${sessionId} did not finish within ${deadlines.overallMs} ms`)
      if (!sessionEventSeen && now >= firstEventDeadline)
        throw new StaleSessionError(`No event for session ${sessionId} within ${deadlines.firstEventMs} ms`)
      const idleMs = options.deadlines?.idleMs
      if (idleMs !== undefined && sessionEventSeen && now - lastSessionEventAt >= idleMs)
        throw new IdleStreamError(`Session ${sessionId} sent nothing for ${idleMs} ms`)
    }
    const nextDeadlineIn = () => {
      const now = clock.now()
      const candidates = [overallDeadline - now, sessionEventSeen ? Infinity : firstEventDeadline - now]
      if (nextPollAt !== undefined && !isBlocked()) candidates.push(nextPollAt - now)
      return Math.max(0, Math.min(...candidates))
    }
    const schedulePoll = (delay = FIRST_POLL_MS) => {
      pollDelay = delay
      nextPollAt = clock.now() + delay
    }

    /** Durable events after `lastSeq` from the log, mapped (prices loaded first when a step needs them). */
    const catchUp = async (): Promise<OpencodeEvent[]> => {
      if (lastSeq < 0) return []
      const missed = await this.history(sessionId, lastSeq, { signal })
      const out: OpencodeEvent[] = []
      for (const event of missed) out.push(...(await accept(event)))
      return out
    }
    /** One durable or live event for this session → normalized events, in `seq` order. */
    const accept = async (event: V2Event): Promise<OpencodeEvent[]> => {
      const seq = event.durable?.seq
      if (typeof seq === 'number') {
        if (lastSeq < 0) lastSeq = seq - 1
        if (seq <= lastSeq) return [] // already seen (the live stream and the log overlap)
        if (seq > lastSeq + 1) {
          // The live stream skipped durable events: take them from the log first.
          const filled = await catchUp()
          if (seq <= lastSeq) return filled
          return [...filled, ...(await this.mapOne(mapper, event))].map(track)
        }
        lastSeq = seq
      }
      return (await this.mapOne(mapper, event)).map(track)
    }
    const track = (event: OpencodeEvent): OpencodeEvent => {
      if (typeof event.seq === 'number' && event.seq > lastSeq) lastSeq = event.seq
      if (event.type === 'permission.asked' || event.type === 'question.asked') {
        const id = event.properties.id
        if (typeof id === 'string') {
          askedRequests.add(id)
          this.requestSessions.set(id, sessionId)
        }
      }
      return event
    }
    /** Pending requests the stream may have missed (after a reconnect), re-announced once. */
    const pendingRequests = async (): Promise<OpencodeEvent[]> => {
      const out: OpencodeEvent[] = []
      for (const kind of ['permission', 'question'] as const) {
        const listed = (await this.http.request('GET', `/api/session/${enc(sessionId)}/${kind}`, {
          signal,
        })) as {
          data?: JsonObject[]
        }
        for (const request of listed?.data ?? []) {
          if (typeof request.id !== 'string' || askedRequests.has(request.id)) continue
          out.push(
            ...mapper
              .map({ type: `${kind}.v2.asked`, data: { ...request, sessionID: sessionId } })
              .map(track),
          )
        }
      }
      return out
    }
    /** Whether the run is over: the session no longer runs after its prompt was taken up. */
    const finished = async (): Promise<boolean> => {
      if (!mapper.prompted) return false
      const active = (await this.http.request('GET', '/api/session/active', { signal })) as {
        data?: JsonObject
      }
      return !(isObject(active?.data) && Object.hasOwn(active.data, sessionId))
    }
    const idle = (): OpencodeEvent => ({
      type: 'session.status',
      properties: { sessionID: sessionId, status: { type: 'idle' } },
    })

    for (;;) {
      checkDeadlines()
      const connection = new AbortController()
      const onAbort = () => connection.abort(signal?.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
      try {
        let response: Response | 'tick'
        try {
          response = await race(
            clock,
            this.http.open('/api/event', connection.signal),
            Math.min(deadlines.connectMs, nextDeadlineIn()),
          )
        } catch (error) {
          if (signal?.aborted) throw abortError()
          if (error instanceof OpencodeError) throw error
          throw new Reconnect(error)
        }
        if (response === 'tick') {
          checkDeadlines()
          throw new Reconnect(
            new TimeoutError(`Connecting to the event stream took over ${deadlines.connectMs} ms`),
          )
        }
        if (!response.ok || !response.body) {
          const text = await response.text().catch(() => '')
          throw new ServerError(`Event stream failed (HTTP ${response.status}): ${text.slice(0, 200)}`, {
            status: response.status,
            body: text,
          })
        }
        reader = response.body.getReader()
        const utf8 = new TextDecoder()
        const decoder = new SseDecoder()
        let connected = false
        let lastChunkAt = clock.now()
        let pendingRead: Promise<ReadableStreamReadResult<Uint8Array>> | undefined
        for (;;) {
          checkDeadlines()
          if (nextPollAt !== undefined && clock.now() >= nextPollAt && connected && !isBlocked()) {
            // A quiet moment: take what the live stream missed from the log, then ask whether the run ended.
            nextPollAt = undefined
            for (const event of await catchUp()) {
              sessionEventSeen = true
              lastSessionEventAt = clock.now()
              yield event
            }
            if (await finished()) {
              for (const event of await catchUp()) yield event
              yield idle()
              return
            }
            schedulePoll(Math.min(Math.max(pollDelay * 2, MIN_POLL_MS), MAX_POLL_MS))
          }
          pendingRead ??= reader.read()
          let outcome: ReadableStreamReadResult<Uint8Array> | 'tick'
          try {
            outcome = await race(
              clock,
              pendingRead,
              Math.min(lastChunkAt + deadlines.readMs - clock.now(), nextDeadlineIn()),
            )
          } catch (error) {
            if (signal?.aborted) throw abortError()
            throw new Reconnect(error)
          }
          if (outcome === 'tick') {
            if (clock.now() - lastChunkAt >= deadlines.readMs)
              throw new Reconnect(new TimeoutError(`No bytes on the event stream for ${deadlines.readMs} ms`))
            continue
          }
          pendingRead = undefined
          if (outcome.done) throw new Reconnect(new ConnectionError('The event stream ended'))
          lastChunkAt = clock.now()
          const text = utf8.decode(outcome.value, { stream: true })
          if (connected && HEARTBEAT.test(text)) {
            yield { type: 'server.heartbeat', properties: {} }
            if (nextPollAt === undefined) schedulePoll()
          }
          for (const frame of decoder.feed(text)) {
            let raw: V2Event
            try {
              raw = JSON.parse(frame.data) as V2Event
            } catch {
              continue // a malformed frame is skipped
            }
            if (!isObject(raw) || typeof raw.type !== 'string') continue
            if (!isObject(raw.data)) raw.data = {}
            if (!connected) {
              if (raw.type !== 'server.connected') continue
              connected = true
              connections++
              yield { type: 'server.connected', properties: {} }
              if (!onceCalled) {
                onceCalled = true
                if (options.onceConnected) {
                  this.admitted.delete(sessionId)
                  const accepted = await options.onceConnected()
                  const admittedSeq = this.admitted.get(sessionId)
                  if (lastSeq < 0 && admittedSeq !== undefined) lastSeq = admittedSeq - 1
                  if (accepted !== false) {
                    overallDeadline = clock.now() + deadlines.overallMs
                    firstEventDeadline = clock.now() + deadlines.firstEventMs
                  }
                }
                schedulePoll()
              }
              if (connections > 1 || options.afterSeq !== undefined) {
                // A reconnect (or a resume): the log has what the live stream missed.
                for (const event of [...(await catchUp()), ...(await pendingRequests())]) {
                  sessionEventSeen = true
                  yield event
                }
                schedulePoll(0)
              }
              continue
            }
            if (raw.data.sessionID !== sessionId) continue
            const events = await accept(raw)
            if (events.length === 0) continue
            sessionEventSeen = true
            lastSessionEventAt = clock.now()
            for (const event of events) yield event
            const settling =
              raw.type === 'session.next.step.ended'
                ? raw.data.finish !== 'tool-calls'
                : SETTLING.has(raw.type)
            schedulePoll(settling ? 0 : FIRST_POLL_MS)
          }
        }
      } catch (error) {
        if (!(error instanceof Reconnect)) throw error
      } finally {
        signal?.removeEventListener('abort', onAbort)
        connection.abort()
        reader?.cancel().catch(() => {})
      }
      checkDeadlines()
      try {
        await clock.sleep(Math.min(options.reconnectDelayMs ?? 100, nextDeadlineIn()), signal)
      } catch {
        throw abortError()
      }
    }
  }

  /** Prices loaded so far (the mapper reads them synchronously). */
  private pricesSnapshot: Map<string, V2Price[]> | undefined

  /** Maps one event; a step that reports cost 0 waits for the model's prices first. */
  private async mapOne(mapper: V2EventMapper, event: V2Event): Promise<OpencodeEvent[]> {
    if (event.type === 'session.next.step.ended' && !event.data.cost && !this.pricesSnapshot) {
      try {
        this.pricesSnapshot = await this.loadPrices()
      } catch {
        this.pricesSnapshot = new Map() // no prices: the server's numbers stand
      }
    }
    return mapper.map(event)
  }
}

/** `promise`, or `'tick'` once `ms` passed on the clock (rejects like `promise`). */
async function race<T>(clock: Clock, promise: Promise<T>, ms: number): Promise<T | 'tick'> {
  const timer = new AbortController()
  try {
    const tick = clock.sleep(Math.max(0, ms), timer.signal).then(
      () => 'tick' as const,
      () => 'tick' as const,
    )
    return await Promise.race([promise, tick])
  } finally {
    timer.abort()
  }
}

/** Internal: the connection broke; the stream reconnects. */
class Reconnect {
  constructor(readonly cause: unknown) {}
}

/** A v2 session as the `OpencodeSession` the rest of opencode-kit reads (`directory` from its location). */
function sessionFromV2(session: V2Session | undefined): OpencodeSession {
  if (!isObject(session) || typeof session.id !== 'string')
    throw new ServerError('The server answered without a session', { body: session })
  return { ...session, directory: session.location?.directory }
}
