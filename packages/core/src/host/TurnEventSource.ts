import { appendText } from '../wire/appendText.js'
import type { Reply } from '../wire/Reply.js'
import { isObject, type ReplyPart, type TextPart } from '../wire/types.js'
import { type DescribeToolOptions, describeTool, todoView } from './describeTool.js'
import type { RowId } from './ports.js'
import { permissionView, questionView } from './requestViews.js'
import {
  TURN_EVENT_VERSION,
  type TurnEvent,
  type TurnEventError,
  type TurnStatus,
  type TurnUsage,
} from './TurnEvent.js'
import { MAX_BUFFERED_EVENTS, TurnEventQueue } from './TurnEventQueue.js'

const TEXT_TYPES = new Set(['text', 'reasoning'])

/**
 * Turns what a turn's {@link Reply} does into {@link TurnEvent}s: it observes each attempt's Reply,
 * keeps what it told the consumer about every part, and sends the difference — deltas as they
 * stream, a suffix when a finished part repairs its text, a `restart` plus a snapshot when the
 * server's copy replaces what was shown.
 */
export class TurnEventSource {
  readonly queue: TurnEventQueue
  private reply: Reply | undefined
  /**
   * Per part index: the text sent so far, kept the way `Reply` keeps a part's text (`appendText`:
   * O(1) per delta, deltas merged into blocks). A list of every delta string would keep 100k small
   * strings alive through a long reply, and the garbage collector would copy them over and over.
   */
  private sent: TextPart[] = []
  private started = false
  private finished = false
  /** Requests already told as resolved: an expiry is followed by the server's own rejection. */
  private readonly resolvedRequests = new Set<string>()

  constructor(
    private readonly messageId: RowId,
    private readonly toolOptions: DescribeToolOptions = {},
    maxBuffered = MAX_BUFFERED_EVENTS,
  ) {
    this.queue = new TurnEventQueue(() => this.snapshot(), maxBuffered)
  }

  /** `start`, once, before anything else. */
  start(sessionId: string | null, created: boolean): void {
    if (this.started) return
    this.started = true
    this.queue.push({
      type: 'start',
      seq: 0,
      version: TURN_EVENT_VERSION,
      messageId: this.messageId,
      sessionId,
      created,
    })
  }

  /** Follow a new attempt's reply. A reply that replaces another resets the consumer's view. */
  watch(reply: Reply, restart?: { reason: 'session-recreated'; sessionId: string }): void {
    const replaced = this.reply !== undefined
    this.reply = reply
    this.sent = []
    if (replaced || restart)
      this.queue.push({ type: 'restart', seq: 0, reason: 'session-recreated', ...restart })
    reply.addObserver({
      partAdded: ({ part, index }) => this.partAdded(part, index),
      partChanged: ({ part, index, delta }) => this.textDelta(part, index, delta),
      partFinalized: ({ part, index }) => this.partFinalized(part, index),
      toolProgressed: ({ part, index }) => this.tool(part, index),
      partsRemoved: () => this.restart('stream-recovered'),
      todosChanged: ({ todos }) =>
        this.queue.push({
          type: 'todos',
          seq: 0,
          todos: todos.filter(isObject).map((todo) => todoView(todo)),
        }),
      sessionRetried: ({ attempt, message }) =>
        this.queue.push({ type: 'retry', seq: 0, attempt: attempt ?? 0, message: message ?? '' }),
      questionAsked: ({ request }) =>
        this.queue.push({ type: 'question', seq: 0, request: questionView(request) }),
      permissionAsked: ({ request }) =>
        this.queue.push({ type: 'permission', seq: 0, request: permissionView(request) }),
      questionReplied: ({ requestId, answers }) => this.resolved(requestId, 'answered', answers),
      questionRejected: ({ requestId }) => this.resolved(requestId, 'rejected'),
      permissionReplied: ({ requestId, reply: answer }) =>
        this.resolved(requestId, answer === 'reject' ? 'rejected' : 'answered', answer),
    })
  }

  /** A request was answered, rejected or expired: told once per request. */
  resolved(requestId: string, resolution: 'answered' | 'rejected' | 'expired', answer?: unknown): void {
    if (this.resolvedRequests.has(requestId)) return
    this.resolvedRequests.add(requestId)
    this.queue.push({
      type: 'request-resolved',
      seq: 0,
      requestId,
      resolution,
      ...(answer === undefined ? {} : { answer }),
    })
  }

  /** The reply's parts were replaced wholesale (stream recovery): reset the view and redraw it. */
  restart(reason: 'stream-recovered'): void {
    this.queue.push({ type: 'restart', seq: 0, reason })
    for (const event of this.snapshot()) this.queue.push(event)
  }

  /** `finish`, last; then the stream ends. */
  finish(
    status: TurnStatus,
    content: string | null,
    usage: TurnUsage,
    durationMs: number,
    error?: TurnEventError,
  ): void {
    if (this.finished) return
    this.finished = true
    this.start(null, false)
    this.queue.push({
      type: 'finish',
      seq: 0,
      status,
      content,
      usage: { ...usage },
      durationMs,
      ...(error ? { error } : {}),
    })
    this.queue.close()
  }

  private partAdded(part: ReplyPart, index: number): void {
    if (TEXT_TYPES.has(part.type)) {
      this.sent[index] = shownText('')
      const content = String(part.content ?? '')
      if (content !== '') this.sendText(part, index, content)
    } else if (part.type === 'tool') {
      this.tool(part, index)
    }
  }

  private textDelta(part: ReplyPart, index: number, delta: string): void {
    this.sendText(part, index, delta)
  }

  private partFinalized(part: ReplyPart, index: number): void {
    if (!TEXT_TYPES.has(part.type)) {
      if (part.type === 'tool') this.tool(part, index)
      return
    }
    const content = String(part.content ?? '')
    const shown = String(this.sent[index]?.content ?? '')
    if (content === shown) return
    if (content.startsWith(shown)) this.sendText(part, index, content.slice(shown.length))
    else this.restart('stream-recovered')
  }

  private sendText(part: ReplyPart, index: number, text: string): void {
    if (text === '') return
    this.sent[index] ??= shownText('')
    appendText(this.sent[index], text)
    this.queue.push({
      type: part.type === 'reasoning' ? 'reasoning-delta' : 'text-delta',
      seq: 0,
      partId: String(index),
      text,
    })
  }

  private tool(part: ReplyPart, index: number): void {
    this.queue.push({
      type: 'tool',
      seq: 0,
      partId: String(index),
      tool: describeTool(part, this.toolOptions),
    })
  }

  /** The events that draw the current reply from nothing (and what they tell, remembered as sent). */
  private snapshot(): TurnEvent[] {
    const reply = this.reply
    this.sent = []
    if (!reply) return []
    const events: TurnEvent[] = []
    reply.parts.forEach((part, index) => {
      if (TEXT_TYPES.has(part.type)) {
        const content = String(part.content ?? '')
        this.sent[index] = shownText(content)
        if (content !== '')
          events.push({
            type: part.type === 'reasoning' ? 'reasoning-delta' : 'text-delta',
            seq: 0,
            partId: String(index),
            text: content,
          })
      } else if (part.type === 'tool') {
        events.push({
          type: 'tool',
          seq: 0,
          partId: String(index),
          tool: describeTool(part, this.toolOptions),
        })
      }
    })
    for (const request of reply.prompts.pending()) {
      if (request.kind === 'question')
        events.push({ type: 'question', seq: 0, request: questionView(request) })
      else events.push({ type: 'permission', seq: 0, request: permissionView(request) })
    }
    return events
  }
}

/** What was shown of one text part. */
function shownText(content: string): TextPart {
  return { type: 'text', content }
}
