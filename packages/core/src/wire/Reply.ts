import { type Clock, systemClock } from '../support/Clock.js'
import type { ErrorHook } from '../support/ErrorHook.js'
import { reportError } from '../support/reportError.js'
import { appendText } from './appendText.js'
import { canonicalTodo, type TodoItem } from './canonicalTodo.js'
import { Prompts } from './Prompts.js'
import type { ReplyObserver } from './ReplyObserver.js'
import { stampPartSource } from './streamOnlyParts.js'
import { mergeToolState } from './toolParts.js'
import {
  isBlank,
  isObject,
  type JsonObject,
  type MessageInfo,
  type OpencodeEvent,
  type ReplyPart,
  type TextPart,
  type ToolPartRecord,
  type WirePart,
} from './types.js'

/** Cost and tokens of a turn, summed over every model step (`step-finish`). */
export interface Usage {
  /** USD, as the server priced it. */
  cost: number
  inputTokens: number
  outputTokens: number
  reasoningTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
}

/** What a reply distills to: the stored parts plus the joined texts and the finished tool parts. */
export interface ReplyResult {
  /** The parts, as stored on the assistant message. */
  parts: ReplyPart[]
  /** Text parts joined by a blank line. */
  fullText: string
  /** Reasoning parts joined by a blank line. */
  reasoningText: string
  /** Tool parts whose status is `completed` or `error`. */
  toolParts: ToolPartRecord[]
}

const TODO_TOOLS = new Set(['todowrite', 'todoread'])
/** The request a `*.replied` / `*.rejected` event resolves; undefined when it names none. */
const requestIdOf = (props: JsonObject): string | undefined => {
  const id = props.requestID ?? props.id
  return typeof id === 'string' && id !== '' ? id : undefined
}
const isTool = (part: ReplyPart): part is ToolPartRecord => part.type === 'tool'

/**
 * The event → parts state machine of one turn: feed it every event of the session's stream and it
 * keeps the ordered parts (text and reasoning accumulated from deltas, tool parts merged through
 * their state transitions), the running cost and token totals over every model step, and the
 * pending questions and permissions. Observers see every change as it happens.
 *
 * Parts come from assistant messages only: a current server also streams the user's own prompt
 * part, which must not become part of the reply.
 *
 * @example
 * ```ts
 * const reply = new Reply()
 * reply.addObserver({ partChanged: ({ delta }) => process.stdout.write(delta) })
 * for await (const event of client.events(sessionId, {
 *   blocked: () => reply.promptBlocked,
 *   onceConnected: () => client.prompt(sessionId, { text: 'Hi' }),
 * })) reply.apply(event)
 * console.log(reply.result.fullText, reply.totalCost)
 * ```
 */
export class Reply {
  /** The ordered parts. Text parts' `content` grows as deltas arrive. */
  readonly parts: ReplyPart[] = []
  /** Pending questions and permissions. */
  readonly prompts: Prompts
  /** Cost summed over every `step-finish` of the turn. */
  totalCost = 0
  /** Input tokens summed over every `step-finish`. */
  totalInputTokens = 0
  /** Output tokens summed over every `step-finish`. */
  totalOutputTokens = 0
  /** Reasoning tokens summed over every `step-finish`. */
  totalReasoningTokens = 0
  /** Prompt-cache reads summed over every `step-finish`. */
  totalCacheReadTokens = 0
  /** Prompt-cache writes summed over every `step-finish`. */
  totalCacheWriteTokens = 0
  /** True once a text part grew (or a recovered text part was seen). */
  firstTextSeen = false
  /** The latest assistant message info (from `message.updated`). */
  info: MessageInfo | undefined

  private readonly observers: ReplyObserver[] = []
  private indexById = new Map<string, number>()
  private typeById = new Map<string, string>()
  private roleByMessage = new Map<string, string>()
  /** Per part index: the upstream message it came from (undefined when unknown). */
  private messageOfPart: (string | undefined)[] = []
  private countedSteps = new Set<string>()
  private todoIndex: number | undefined
  private pendingQuestions = new Map<string, JsonObject>()
  private readonly onError: ErrorHook | undefined
  private seenSeq: number | undefined

  /**
   * `clock` stamps when questions and permissions were asked (default: the system clock);
   * `onError` receives what a throwing observer threw (default: one `console.warn` line).
   */
  constructor(options: { clock?: Clock; onError?: ErrorHook } = {}) {
    this.prompts = new Prompts(options.clock ?? systemClock)
    this.onError = options.onError
  }

  /** Distill parts into a {@link ReplyResult}. */
  static distill(parts: readonly ReplyPart[]): ReplyResult {
    const texts: string[] = []
    const reasoning: string[] = []
    const toolParts: ToolPartRecord[] = []
    for (const part of parts) {
      // Blank parts add no separator: two empty parts must not read as a paragraph break.
      if (part.type === 'text') {
        const content = String((part as TextPart).content ?? '')
        if (!isBlank(content)) texts.push(content)
      } else if (part.type === 'reasoning') {
        const content = String((part as TextPart).content ?? '')
        if (!isBlank(content)) reasoning.push(content)
      } else if (isTool(part) && (part.status === 'completed' || part.status === 'error'))
        toolParts.push(part)
    }
    return {
      parts: [...parts],
      fullText: texts.join('\n\n'),
      reasoningText: reasoning.join('\n\n'),
      toolParts,
    }
  }

  /** Register an observer. */
  addObserver(observer: ReplyObserver): this {
    this.observers.push(observer)
    return this
  }

  /** The distilled result of the parts so far. */
  get result(): ReplyResult {
    return Reply.distill(this.parts)
  }

  /** Cost and tokens so far, summed over every model step. */
  get usage(): Usage {
    return {
      cost: this.totalCost,
      inputTokens: this.totalInputTokens,
      outputTokens: this.totalOutputTokens,
      reasoningTokens: this.totalReasoningTokens,
      cacheReadTokens: this.totalCacheReadTokens,
      cacheWriteTokens: this.totalCacheWriteTokens,
    }
  }

  /**
   * The highest position in the session's durable log among the events applied (v2 API only;
   * undefined on the legacy API, which has no log): resume a broken stream after it with
   * `client.events(sessionId, { afterSeq: reply.lastSeq })`.
   */
  get lastSeq(): number | undefined {
    return this.seenSeq
  }

  /** True while a question or permission waits for an answer. */
  get promptBlocked(): boolean {
    return this.prompts.promptBlocked
  }

  /** Number of tool parts. */
  get toolCount(): number {
    return this.parts.reduce((count, part) => count + (isTool(part) ? 1 : 0), 0)
  }

  /** Apply one event. Unknown events are ignored. */
  apply(event: OpencodeEvent): void {
    const props = isObject(event?.properties) ? event.properties : {}
    if (typeof event?.seq === 'number' && !(event.seq <= (this.seenSeq ?? -1))) this.seenSeq = event.seq
    switch (event?.type) {
      case 'message.part.delta':
        this.applyDelta(props)
        return
      case 'message.part.updated':
        if (isObject(props.part)) this.applyPartUpdated(props.part as WirePart)
        return
      case 'message.updated':
        this.applyMessageUpdated(props)
        return
      case 'session.status':
        if (isObject(props.status) && props.status.type === 'retry') {
          this.notify('sessionRetried', {
            attempt: typeof props.status.attempt === 'number' ? props.status.attempt : undefined,
            message: typeof props.status.message === 'string' ? props.status.message : undefined,
          })
        }
        return
      case 'session.error':
        this.applySessionError(event, props)
        return
      case 'todo.updated':
        this.applyTodos(props)
        return
      case 'question.asked':
        this.applyQuestionAsked(event, props)
        return
      case 'question.replied':
      case 'question.rejected':
        this.applyQuestionResolved(event, props)
        return
      case 'permission.asked':
        this.applyPermissionAsked(event, props)
        return
      case 'permission.replied':
        this.applyPermissionReplied(event, props)
        return
      default:
        return
    }
  }

  /** Clean slate: take `parts` as the reply, reset ids, totals and `firstTextSeen`. No notifications. */
  replaceParts(parts: readonly ReplyPart[]): void {
    this.parts.length = 0
    for (const part of parts) this.parts.push(structuredClone(part))
    this.messageOfPart = []
    this.indexById = new Map()
    this.typeById = new Map()
    this.countedSteps = new Set()
    this.todoIndex = undefined
    this.totalCost = 0
    this.totalInputTokens = 0
    this.totalOutputTokens = 0
    this.totalReasoningTokens = 0
    this.totalCacheReadTokens = 0
    this.totalCacheWriteTokens = 0
    this.firstTextSeen = false
  }

  /**
   * Bring the live parts up to a recovered snapshot by position, without deleting anything:
   * new parts are appended (`partAdded`), changed ones replaced (`toolProgressed` / `partFinalized`).
   */
  syncRecoveredParts(parts: readonly ReplyPart[]): void {
    parts.forEach((incoming, index) => {
      if (this.parts[index] === incoming) return // this reply's own part (its result synced back): unchanged
      const part = structuredClone(incoming)
      if (part.type === 'text' && !isBlank((part as TextPart).content)) this.firstTextSeen = true
      if (index >= this.parts.length) {
        this.push(part, undefined)
        this.notify('partAdded', { part, index })
        return
      }
      if (JSON.stringify(this.parts[index]) === JSON.stringify(part)) return
      this.parts[index] = part
      if (isTool(part)) this.notify('toolProgressed', { part, index, status: part.status, raw: part })
      else this.notify('partFinalized', { part, index })
    })
  }

  /**
   * Treat `messageId` as a user message (the prompt): its events are ignored from now on, and parts
   * it already added — its `message.updated` came late, or never — are removed
   * (`partsRemoved`). A turn calls this with the id it learns from the session's messages.
   */
  markUserMessage(messageId: string): void {
    this.roleByMessage.set(messageId, 'user')
    this.dropMessage(messageId)
  }

  private push(part: ReplyPart, messageId: unknown): number {
    const index = this.parts.push(part) - 1
    this.messageOfPart[index] = typeof messageId === 'string' ? messageId : undefined
    return index
  }

  /** Remove the parts of one message, keeping every index map in step. */
  private dropMessage(messageId: string): void {
    if (!this.messageOfPart.includes(messageId)) return
    const newIndex = new Map<number, number>()
    const parts: ReplyPart[] = []
    const messages: (string | undefined)[] = []
    this.parts.forEach((part, index) => {
      if (this.messageOfPart[index] === messageId) return
      newIndex.set(index, parts.length)
      parts.push(part)
      messages.push(this.messageOfPart[index])
    })
    this.parts.length = 0
    this.parts.push(...parts)
    this.messageOfPart = messages
    const indexById = new Map<string, number>()
    for (const [id, index] of this.indexById) {
      const moved = newIndex.get(index)
      if (moved !== undefined) indexById.set(id, moved)
    }
    this.indexById = indexById
    this.todoIndex = this.todoIndex === undefined ? undefined : newIndex.get(this.todoIndex)
    this.firstTextSeen = this.parts.some(
      (part) => part.type === 'text' && !isBlank((part as TextPart).content),
    )
    this.notify('partsRemoved', { messageId })
  }

  private fromUser(messageId: unknown): boolean {
    return typeof messageId === 'string' && this.roleByMessage.get(messageId) === 'user'
  }

  private applyDelta(props: JsonObject): void {
    const field = props.field
    const delta = props.delta
    if ((field !== 'text' && field !== 'reasoning') || typeof delta !== 'string' || delta === '') return
    if (this.fromUser(props.messageID)) return
    const partId = typeof props.partID === 'string' ? props.partID : undefined
    let index = partId === undefined ? undefined : this.indexById.get(partId)
    if (index === undefined) {
      // A delta can arrive before (or without) its part announcement; reasoning deltas say field "text".
      const type = (partId && this.typeById.get(partId)) || field
      const part: TextPart = { type: type === 'reasoning' ? 'reasoning' : 'text', content: '' }
      index = this.push(part, props.messageID)
      if (partId) this.indexById.set(partId, index)
      this.notify('partAdded', { part, index })
    }
    const part = this.parts[index] as TextPart
    if (part.type !== 'text' && part.type !== 'reasoning') {
      // A delta addressed to a tool part's id: ignore it, it would add a `content` key to the tool.
      reportError(this.onError, new Error(`A ${field} delta addressed a ${part.type} part; ignored`), {
        feature: 'opencode.reply',
        action: 'delta',
        partId,
        handled: true,
        severity: 'warning',
      })
      return
    }
    // O(1) per delta: the chunks are joined once, when `content` is read.
    appendText(part, delta)
    if (part.type === 'text') this.firstTextSeen = true
    if (this.observers.length > 0) this.notify('partChanged', { part, index, delta })
  }

  private applyPartUpdated(part: WirePart): void {
    if (this.fromUser(part.messageID)) return
    const id = typeof part.id === 'string' ? part.id : undefined
    switch (part.type) {
      case 'step-finish':
        this.applyStepFinish(part, id)
        return
      case 'text':
      case 'reasoning':
        this.applyTextUpdated(part, id)
        return
      case 'tool':
        this.applyToolUpdated(part, id)
        return
      default:
        return
    }
  }

  private applyStepFinish(part: WirePart, id: string | undefined): void {
    if (id !== undefined) {
      if (this.countedSteps.has(id)) return
      this.countedSteps.add(id)
    }
    const cost = typeof part.cost === 'number' ? part.cost : 0
    const tokens = isObject(part.tokens) ? part.tokens : {}
    this.totalCost += cost
    this.totalInputTokens += Number(tokens.input ?? 0) || 0
    this.totalOutputTokens += Number(tokens.output ?? 0) || 0
    this.totalReasoningTokens += Number(tokens.reasoning ?? 0) || 0
    const cache = isObject(tokens.cache) ? tokens.cache : {}
    this.totalCacheReadTokens += Number(cache.read ?? 0) || 0
    this.totalCacheWriteTokens += Number(cache.write ?? 0) || 0
    this.notify('stepFinished', { cost, tokens })
  }

  private applyTextUpdated(part: WirePart, id: string | undefined): void {
    if (id !== undefined) this.typeById.set(id, part.type)
    const text = typeof part.text === 'string' ? part.text : ''
    const index = id === undefined ? undefined : this.indexById.get(id)
    if (index !== undefined) {
      const existing = this.parts[index] as TextPart
      // The final part.updated carries the full text: repair a stream that dropped a tail delta.
      if (!isBlank(text) && text !== existing.content) existing.content = text
      if (existing.type === 'text' && existing.content !== '') this.firstTextSeen = true
      this.notify('partFinalized', { part: existing, index })
      return
    }
    if (isBlank(text)) return
    const added: TextPart = { type: part.type === 'reasoning' ? 'reasoning' : 'text', content: text }
    const newIndex = this.push(added, part.messageID)
    if (id !== undefined) this.indexById.set(id, newIndex)
    if (added.type === 'text') this.firstTextSeen = true
    this.notify('partAdded', { part: added, index: newIndex })
    this.notify('partFinalized', { part: added, index: newIndex })
  }

  private applyToolUpdated(part: WirePart, id: string | undefined): void {
    let index = id === undefined ? undefined : this.indexById.get(id)
    if (index === undefined) {
      const record: ToolPartRecord = {
        type: 'tool',
        tool: String(part.tool ?? ''),
        status: String(part.state?.status ?? 'pending'),
      }
      index = this.push(record, part.messageID)
      if (id !== undefined) this.indexById.set(id, index)
      this.notify('partAdded', { part: record, index })
    }
    const record = this.parts[index] as ToolPartRecord
    mergeToolState(record, part)
    if (TODO_TOOLS.has(record.tool)) this.todoIndex = index
    if (record.tool === 'question' && record.messageID && record.callID) {
      const pending = this.pendingQuestions.get(`${record.messageID}:${record.callID}`)
      if (pending) record.input = { ...(record.input ?? {}), ...pending }
    }
    this.notify('toolProgressed', { part: record, index, status: record.status, raw: part })
  }

  private applyMessageUpdated(props: JsonObject): void {
    if (!isObject(props.info)) return
    const info = props.info as MessageInfo
    if (typeof info.id === 'string' && typeof info.role === 'string')
      this.roleByMessage.set(info.id, info.role)
    if (info.role === 'user') {
      // Its parts may have come first (a reconnect between the two, another server version).
      if (typeof info.id === 'string') this.dropMessage(info.id)
      return
    }
    this.info = info
    this.notify('messageUpdated', { info })
  }

  private applySessionError(event: OpencodeEvent, props: JsonObject): void {
    const error = isObject(props.error) ? props.error : {}
    const data = isObject(error.data) ? error.data : {}
    const text = [error.name, data.message]
      .filter((piece) => !isBlank(piece))
      .map(String)
      .join(': ')
    this.notify('sessionErrored', { text, raw: event })
  }

  private applyTodos(props: JsonObject): void {
    if (!Array.isArray(props.todos)) return // a malformed event must not add an empty todo part
    const todos = props.todos as TodoItem[]
    this.notify('todosChanged', { todos })
    const canonical = todos.map((todo) => canonicalTodo(todo))
    if (this.todoIndex !== undefined) {
      const record = this.parts[this.todoIndex] as ToolPartRecord
      record.input = { ...(record.input ?? {}), todos: canonical }
      record.status ??= 'completed'
      this.notify('toolProgressed', {
        part: record,
        index: this.todoIndex,
        status: record.status,
        raw: props,
      })
      return
    }
    const part = stampPartSource(
      { type: 'tool', tool: 'todowrite', status: 'completed', input: { todos: canonical } } as ToolPartRecord,
      'todo.updated',
    )
    this.todoIndex = this.parts.push(part) - 1
    this.notify('partAdded', { part, index: this.todoIndex })
    this.notify('toolProgressed', { part, index: this.todoIndex, status: part.status, raw: props })
  }

  private applyQuestionAsked(event: OpencodeEvent, props: JsonObject): void {
    if (typeof props.id !== 'string') return
    const tool = isObject(props.tool) ? props.tool : {}
    const request = this.prompts.record('question', props.id, props, tool)
    const payload: JsonObject = {
      questions: props.questions,
      opencode_request_id: props.id,
      opencode_message_id: tool.messageID,
      opencode_call_id: tool.callID,
    }
    if (typeof tool.messageID === 'string' && typeof tool.callID === 'string') {
      this.pendingQuestions.set(`${tool.messageID}:${tool.callID}`, payload)
      const index = this.parts.findIndex(
        (part) =>
          isTool(part) &&
          part.tool === 'question' &&
          part.messageID === tool.messageID &&
          part.callID === tool.callID,
      )
      if (index >= 0) {
        const record = this.parts[index] as ToolPartRecord
        record.input = { ...(record.input ?? {}), ...payload }
        this.notify('toolProgressed', { part: record, index, status: record.status, raw: props })
      }
    }
    this.notify('questionAsked', { request, raw: event })
  }

  private applyQuestionResolved(event: OpencodeEvent, props: JsonObject): void {
    const requestId = requestIdOf(props)
    if (requestId === undefined) return
    const askedAt = this.prompts.resolve(requestId)?.askedAt
    if (event.type === 'question.replied')
      this.notify('questionReplied', { requestId, answers: props.answers, raw: event, askedAt })
    else this.notify('questionRejected', { requestId, raw: event, askedAt })
  }

  private applyPermissionAsked(event: OpencodeEvent, props: JsonObject): void {
    if (typeof props.id !== 'string') return
    const request = this.prompts.record(
      'permission',
      props.id,
      props,
      isObject(props.tool) ? props.tool : undefined,
    )
    this.notify('permissionAsked', { request, raw: event })
  }

  private applyPermissionReplied(event: OpencodeEvent, props: JsonObject): void {
    const requestId = requestIdOf(props)
    if (requestId === undefined) return
    const askedAt = this.prompts.resolve(requestId)?.askedAt
    this.notify('permissionReplied', { requestId, reply: props.reply, raw: event, askedAt })
  }

  /**
   * Call one callback on every observer; a throwing observer, or an async one whose promise
   * rejects, is reported and skipped (never an unhandled rejection).
   */
  private notify<K extends keyof ReplyObserver>(
    name: K,
    payload: Parameters<NonNullable<ReplyObserver[K]>>[0],
  ): void {
    // Per event: no closure unless a callback fails (this runs for every delta of a watched turn).
    for (const observer of this.observers) {
      const callback = observer[name] as ((arg: typeof payload) => unknown) | undefined
      if (!callback) continue
      try {
        const result = callback.call(observer, payload)
        if (isThenable(result))
          Promise.resolve(result).then(undefined, (error) => this.observerFailed(name, error))
      } catch (error) {
        this.observerFailed(name, error)
      }
    }
  }

  private observerFailed(name: keyof ReplyObserver, error: unknown): void {
    reportError(this.onError, error, {
      feature: 'opencode.reply',
      action: 'observer',
      observer: name,
      handled: true,
      severity: 'warning',
    })
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  )
}
