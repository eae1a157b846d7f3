import type { JsonObject, OpencodeEvent } from '../../wire/types.js'
import type { StoredMessage } from './TurnScript.js'

/** One v2 event as the stand-in sends it (`durable` on the session's log, none on live-only ones). */
export interface StandInV2Event {
  id: string
  type: string
  durable?: { aggregateID: string; seq: number; version: number }
  data: JsonObject
}

const NEXT = 'session.next.'
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * One session's face on OpenCode's v2 API, as 1.18.33 shows it: the stand-in's turns (written in
 * the legacy vocabulary) translated into `session.next.*` events — durable ones numbered in the
 * session's log, text and reasoning deltas and permission/question requests live only — with the
 * 1.18.33 quirks the recordings show: steps report `cost: 0`, a model error is a `step.failed` whose
 * message carries the HTTP status, an abort fails the step with "Provider turn interrupted".
 */
export class V2SessionLog {
  /** The durable log, seq 1, 2, 3, … */
  readonly events: StandInV2Event[] = []
  private readonly started = new Set<string>()
  private readonly blocks = new Set<string>()
  private readonly toolStatus = new Map<string, string>()
  private readonly prompted = new Set<string>()
  private assistant: string | undefined
  private nextId = 0

  constructor(readonly sessionId: string) {}

  /** The position of the last durable event (0: none yet). */
  get seq(): number {
    return this.events.length
  }

  /** A durable event, appended to the log. */
  durable(type: string, data: JsonObject): StandInV2Event {
    const event: StandInV2Event = {
      id: this.eventId(),
      type,
      durable: { aggregateID: this.sessionId, seq: this.events.length + 1, version: 1 },
      data: { timestamp: Date.now(), sessionID: this.sessionId, ...data },
    }
    this.events.push(event)
    return event
  }

  /** The v2 events for one of the stand-in's legacy events (possibly none). */
  translate(event: OpencodeEvent): StandInV2Event[] {
    const props = event.properties as JsonObject
    const live = (type: string, data: JsonObject): StandInV2Event => ({
      id: this.eventId(),
      type,
      data: { timestamp: Date.now(), sessionID: this.sessionId, ...data },
    })
    switch (event.type) {
      case 'message.updated': {
        const info = isObject(props.info) ? props.info : {}
        const id = String(info.id ?? '')
        if (info.role === 'user') {
          if (this.prompted.has(id)) return []
          this.prompted.add(id)
          return [this.durable(`${NEXT}prompted`, { messageID: id })]
        }
        if (info.role !== 'assistant' || this.started.has(id)) return []
        this.started.add(id)
        this.assistant = id
        return [
          this.durable(`${NEXT}step.started`, {
            assistantMessageID: id,
            agent: info.agent ?? 'build',
            model: { id: info.modelID ?? 'standin-model', providerID: info.providerID ?? 'standin' },
          }),
        ]
      }
      case 'message.part.updated': {
        const part = isObject(props.part) ? props.part : {}
        const messageID = String(part.messageID ?? this.assistant ?? '')
        if (this.prompted.has(messageID)) return [] // the prompt's own text: part of `prompted`
        const id = String(part.id ?? '')
        if (part.type === 'text' || part.type === 'reasoning') {
          const key = part.type === 'text' ? 'textID' : 'reasoningID'
          const out: StandInV2Event[] = []
          if (!this.blocks.has(id)) {
            this.blocks.add(id)
            out.push(
              this.durable(`${NEXT}${part.type}.started`, { assistantMessageID: messageID, [key]: id }),
            )
          }
          const time = isObject(part.time) ? part.time : {}
          if (time.end !== undefined)
            out.push(
              this.durable(`${NEXT}${part.type}.ended`, {
                assistantMessageID: messageID,
                [key]: id,
                text: String(part.text ?? ''),
              }),
            )
          return out
        }
        if (part.type === 'tool') {
          const callID = String(part.callID ?? id)
          const state = isObject(part.state) ? part.state : {}
          const status = String(state.status ?? 'pending')
          if (this.toolStatus.get(callID) === status) return []
          this.toolStatus.set(callID, status)
          const base = { assistantMessageID: messageID, callID }
          if (status === 'pending')
            return [this.durable(`${NEXT}tool.input.started`, { ...base, name: part.tool })]
          if (status === 'running')
            return [
              this.durable(`${NEXT}tool.input.ended`, { ...base, text: JSON.stringify(state.input ?? {}) }),
              this.durable(`${NEXT}tool.called`, { ...base, tool: part.tool, input: state.input ?? {} }),
            ]
          if (status === 'completed')
            return [
              this.durable(`${NEXT}tool.success`, {
                ...base,
                content: [{ type: 'text', text: String(state.output ?? '') }],
                ...(isObject(state.metadata) ? { structured: state.metadata } : {}),
              }),
            ]
          if (status === 'error')
            return [
              this.durable(`${NEXT}tool.failed`, {
                ...base,
                error: { type: 'unknown', message: String(state.error ?? 'Tool failed') },
              }),
            ]
          return []
        }
        if (part.type === 'step-finish')
          // 1.18.33's v2 runner reports no price: clients price steps from `GET /api/model`.
          return [
            this.durable(`${NEXT}step.ended`, {
              assistantMessageID: messageID,
              finish: part.reason ?? 'stop',
              cost: 0,
              tokens: v2Tokens(part.tokens),
            }),
          ]
        return []
      }
      case 'message.part.delta': {
        const field = props.field === 'reasoning' ? 'reasoning' : 'text'
        return [
          live(`${NEXT}${field}.delta`, {
            assistantMessageID: props.messageID,
            [field === 'text' ? 'textID' : 'reasoningID']: props.partID,
            delta: props.delta,
          }),
        ]
      }
      case 'session.error': {
        const error = isObject(props.error) ? props.error : {}
        const data = isObject(error.data) ? error.data : {}
        const message =
          error.name === 'MessageAbortedError'
            ? 'Provider turn interrupted'
            : typeof data.statusCode === 'number'
              ? `Provider request failed with HTTP ${data.statusCode}: ${String(data.message ?? '')}`
              : String(data.message ?? error.name ?? 'unknown error')
        return [
          this.durable(`${NEXT}step.failed`, {
            assistantMessageID: this.assistant ?? '',
            error: { type: 'unknown', message },
          }),
        ]
      }
      case 'permission.asked': {
        const tool = isObject(props.tool) ? props.tool : undefined
        return [
          live('permission.v2.asked', {
            id: props.id,
            action: props.permission,
            resources: props.patterns ?? [],
            save: props.always ?? [],
            metadata: props.metadata ?? {},
            ...(tool ? { source: { type: 'tool', messageID: tool.messageID, callID: tool.callID } } : {}),
          }),
        ]
      }
      case 'permission.replied':
        return [live('permission.v2.replied', { requestID: props.requestID, reply: props.reply })]
      case 'question.asked':
      case 'question.replied':
      case 'question.rejected':
        return [live(event.type.replace('question.', 'question.v2.'), { ...props })]
      case 'todo.updated':
        return [live('todo.updated', { ...props })]
      default:
        return []
    }
  }

  private eventId(): string {
    this.nextId++
    return `evt_v2${this.sessionId.slice(-6)}${String(this.nextId).padStart(6, '0')}`
  }
}

function v2Tokens(tokens: unknown): JsonObject {
  const t = isObject(tokens) ? tokens : {}
  const cache = isObject(t.cache) ? t.cache : {}
  return {
    input: t.input ?? 0,
    output: t.output ?? 0,
    reasoning: t.reasoning ?? 0,
    cache: { read: cache.read ?? 0, write: cache.write ?? 0 },
  }
}

/** A stored (legacy-shaped) message as `GET /api/session/:id/message` shows it on 1.18.33. */
export function v2MessageOf(message: StoredMessage): JsonObject {
  const info = message.info
  const time = isObject(info.time) ? info.time : {}
  if (info.role === 'user')
    return {
      id: info.id,
      type: 'user',
      text: message.parts
        .filter((part) => part.type === 'text')
        .map((part) => String(part.text ?? ''))
        .join(''),
      time: { created: time.created },
    }
  const content: JsonObject[] = []
  for (const part of message.parts) {
    if (part.type === 'text' || part.type === 'reasoning')
      content.push({ type: part.type, id: part.id, text: String(part.text ?? '') })
    else if (part.type === 'tool') {
      const state = isObject(part.state) ? part.state : {}
      content.push({
        type: 'tool',
        id: part.callID ?? part.id,
        name: part.tool,
        state: {
          status: state.status,
          input: state.input ?? {},
          ...(state.output === undefined ? {} : { content: [{ type: 'text', text: String(state.output) }] }),
          ...(isObject(state.metadata) ? { structured: state.metadata } : {}),
          ...(state.error === undefined ? {} : { error: { type: 'unknown', message: String(state.error) } }),
        },
      })
    }
  }
  const finished = time.completed !== undefined
  const error = isObject(info.error) ? info.error : undefined
  const errorData = error && isObject(error.data) ? error.data : {}
  return {
    id: info.id,
    type: 'assistant',
    agent: info.agent ?? 'build',
    model: { id: info.modelID ?? 'standin-model', providerID: info.providerID ?? 'standin' },
    content,
    time: { created: time.created, ...(finished ? { completed: time.completed } : {}) },
    ...(info.finish === undefined ? {} : { finish: info.finish }),
    ...(error
      ? {
          error: {
            type: 'unknown',
            message:
              error.name === 'MessageAbortedError'
                ? 'Provider turn interrupted'
                : typeof errorData.statusCode === 'number'
                  ? `Provider request failed with HTTP ${errorData.statusCode}: ${String(errorData.message ?? '')}`
                  : String(errorData.message ?? ''),
          },
        }
      : {}),
    cost: 0,
    ...(finished ? { tokens: v2Tokens(info.tokens) } : {}),
  }
}
