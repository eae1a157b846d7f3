import type { Clock } from '../support/Clock.js'
import { OpencodeError } from '../wire/errors.js'
import type { PendingPrompt, Prompts } from '../wire/Prompts.js'
import type { ReplyObserver } from '../wire/ReplyObserver.js'
import type { MessagePort, RowId, StoredRequest } from './ports.js'
import type { RequestAnswer, RequestPolicy } from './RequestPolicy.js'
import { type RequestClient, sendAnswer } from './replyToRequest.js'
import { requestView } from './requestViews.js'
import { updateStoredRequests, withRequest } from './storedRequests.js'

/** What {@link TurnRequests} needs from its turn. */
export interface TurnRequestsOptions {
  messageId: RowId
  messages: MessagePort
  client: RequestClient
  clock: Clock
  policy: Required<RequestPolicy>
  /** The upstream session the turn prompted in. */
  sessionId: string
  /** A request expired: the turn tells its consumer (`request-resolved`, `expired`). */
  onExpired: (requestId: string) => void
  /**
   * The server no longer knows a request it asked (it restarted): nothing will answer it, so the
   * turn stops treating its stream as blocked by it.
   */
  onLost: (requestId: string) => void
  /** Errors handled here (a failed write or reply): reported, never thrown into the stream. */
  report: (error: unknown, context: Record<string, unknown>) => void
}

/**
 * A turn's permission and question requests: each one the agent asks is recorded on the message
 * row (so any process can answer it, see `replyToRequest`), then handled by the policy — answered
 * or rejected at once, or waited for until its timeout, when it is rejected upstream and marked
 * `expired`. The server's own answer events (whoever answered) settle the row's copy. Writes run
 * one after another, off the event stream (the stream never waits for the database here).
 */
export class TurnRequests {
  /** Observe the turn's Reply with this. */
  readonly observer: ReplyObserver
  /** The tool calls whose request was rejected or expired: the server stops the agent's loop there. */
  readonly rejectedCallIds = new Set<string>()
  private readonly callIds = new Map<string, string>()
  private readonly waiting = new Map<string, { deadline: number; kind: StoredRequest['kind'] }>()
  private chain: Promise<void> = Promise.resolve()
  private timer: Promise<void> | undefined
  private readonly stop = new AbortController()
  private closed = false

  constructor(private readonly options: TurnRequestsOptions) {
    this.observer = {
      permissionAsked: ({ request }) => this.asked(request),
      questionAsked: ({ request }) => this.asked(request),
      permissionReplied: ({ requestId, reply }) =>
        this.settled(requestId, reply === 'reject' ? 'rejected' : 'answered', reply),
      questionReplied: ({ requestId, answers }) => this.settled(requestId, 'answered', answers),
      questionRejected: ({ requestId }) => this.settled(requestId, 'rejected', 'reject'),
    }
  }

  /**
   * The turn's stream ended: stop waiting, mark what is still pending `expired` (the run that asked
   * is over) and wait for the writes to land.
   */
  async close(): Promise<void> {
    this.closed = true
    this.stop.abort()
    const open = [...this.waiting.keys()]
    this.waiting.clear()
    if (open.length > 0) this.enqueue('close', () => this.expireInRow(open))
    await this.chain
    await this.timer
  }

  /**
   * Take over the requests an earlier run of this message left pending (its worker died): they
   * block this run's stream again (`prompts`), and each waits for an answer until its stored
   * `expiresAt` (or a full `timeoutMs` when it has none), then expires as usual.
   */
  adopt(pending: readonly StoredRequest[], prompts: Prompts): void {
    const { clock, policy } = this.options
    for (const request of pending) {
      if (request.status !== 'pending' || this.waiting.has(request.id) || prompts.find(request.id)) continue
      const view = request.request
      prompts.record(request.kind, request.id, { ...view }, { callID: view.callId })
      if (view.callId) this.callIds.set(request.id, view.callId)
      const left = request.expiresAt
        ? Date.parse(request.expiresAt) - clock.date().getTime()
        : policy.timeoutMs
      this.waiting.set(request.id, { deadline: clock.now() + Math.max(0, left), kind: request.kind })
    }
    this.armTimer()
  }

  private asked(prompt: PendingPrompt): void {
    if (this.closed) return
    const { clock, policy } = this.options
    const kind = prompt.kind === 'question' ? 'question' : 'permission'
    const action = kind === 'permission' ? policy.permissions : policy.questions
    const now = clock.now()
    if (prompt.callId) this.callIds.set(prompt.requestId, prompt.callId)
    const stored: StoredRequest = {
      id: prompt.requestId,
      kind,
      status: 'pending',
      request: requestView(prompt),
      sessionId: this.options.sessionId,
      askedAt: clock.date().toISOString(),
      ...(action === 'ask'
        ? { expiresAt: new Date(clock.date().getTime() + policy.timeoutMs).toISOString() }
        : {}),
    }
    if (action === 'ask') {
      this.waiting.set(stored.id, { deadline: now + policy.timeoutMs, kind })
      this.armTimer()
    }
    this.enqueue('record', async () => {
      await updateStoredRequests(this.options.messages, this.options.messageId, (requests) =>
        requests.some((r) => r.id === stored.id) ? undefined : [...requests, stored],
      )
      if (action === 'ask') return
      const answer: RequestAnswer = action === 'allow' ? 'once' : 'reject'
      await this.resolveInRow(stored.id, answer === 'reject' ? 'rejected' : 'answered', answer)
      await sendAnswer(this.options.client, stored, answer)
    })
  }

  /** The server says the request was answered or rejected (by anyone): settle the row's copy. */
  private settled(requestId: string, status: 'answered' | 'rejected', answer: unknown): void {
    this.waiting.delete(requestId)
    const callId = this.callIds.get(requestId)
    if (status === 'rejected' && callId) this.rejectedCallIds.add(callId)
    this.enqueue('settle', () => this.resolveInRow(requestId, status, answer))
  }

  private async resolveInRow(requestId: string, status: 'answered' | 'rejected', answer: unknown) {
    const at = this.options.clock.date().toISOString()
    await updateStoredRequests(this.options.messages, this.options.messageId, (requests) => {
      const request = requests.find((r) => r.id === requestId)
      if (request?.status !== 'pending') return undefined
      return withRequest(requests, requestId, (r) => ({ ...r, status, answer, resolvedAt: at }))
    })
  }

  private async expireInRow(ids: readonly string[]): Promise<StoredRequest[]> {
    const at = this.options.clock.date().toISOString()
    const expired: StoredRequest[] = []
    await updateStoredRequests(this.options.messages, this.options.messageId, (requests) => {
      expired.length = 0
      const next = requests.map((request) => {
        if (!ids.includes(request.id) || request.status !== 'pending') return request
        const ended: StoredRequest = { ...request, status: 'expired', resolvedAt: at }
        expired.push(ended)
        return ended
      })
      return expired.length > 0 ? next : undefined
    })
    return expired
  }

  /** A request's wait ended: send the answer another process recorded, or reject it as expired. */
  private async due(requestId: string, kind: StoredRequest['kind']): Promise<void> {
    const row = await this.options.messages.load(this.options.messageId)
    const stored = row.requests?.find((r) => r.id === requestId)
    if (stored && stored.status !== 'pending' && stored.status !== 'expired' && stored.answer !== undefined) {
      // Answered through the database, but the server never heard it (the answering process failed
      // after its write): deliver the recorded answer.
      await sendAnswer(this.options.client, stored, stored.answer as RequestAnswer)
      return
    }
    const expired = await this.expireInRow([requestId])
    if (expired.length === 0 && stored) return
    this.options.onExpired(requestId)
    try {
      await sendAnswer(
        this.options.client,
        { id: requestId, kind, sessionId: this.options.sessionId },
        'reject',
      )
    } catch (error) {
      if (!(error instanceof OpencodeError) || error.status !== 404) throw error
      this.options.onLost(requestId)
      throw new OpencodeError(
        `The server no longer knows ${kind} request ${requestId} (it restarted, or the run ended): marked expired`,
        { cause: error, status: 404 },
      )
    }
  }

  private armTimer(): void {
    if (this.timer || this.closed) return
    this.timer = this.runTimer().finally(() => {
      this.timer = undefined
      if (this.waiting.size > 0 && !this.closed) this.armTimer()
    })
  }

  private async runTimer(): Promise<void> {
    const { clock } = this.options
    while (this.waiting.size > 0 && !this.closed) {
      const next = Math.min(...[...this.waiting.values()].map((w) => w.deadline))
      const wait = next - clock.now()
      if (wait > 0) {
        try {
          await clock.sleep(wait, this.stop.signal)
        } catch {
          return // closed
        }
        continue // a request may have been settled or added meanwhile
      }
      for (const [id, entry] of [...this.waiting]) {
        if (entry.deadline > clock.now()) continue
        this.waiting.delete(id)
        this.enqueue('expire', () => this.due(id, entry.kind))
      }
    }
  }

  private enqueue(action: string, run: () => Promise<unknown>): void {
    this.chain = this.chain.then(run).then(
      () => undefined,
      (error: unknown) => this.options.report(error, { action: `requests.${action}` }),
    )
  }
}
