import { isObject, type JsonObject, type OpencodeEvent, type WirePart } from '../types.js'
import { blockPartId, stepCost, toolOutput, v1Error, v1Tokens, v1ToolInput } from './v2Normalize.js'
import type { V2Event, V2Price, V2Tokens } from './v2Types.js'

const NEXT = 'session.next.'

/** Options of {@link V2EventMapper}. */
export interface V2EventMapperOptions {
  /** Prices of a model (`provider/model`), for steps the server reported at cost 0. */
  pricesOf?: (model: string) => readonly V2Price[] | undefined
}

/**
 * Maps the v2 API's events (`session.next.*`, `permission.v2.*`, `question.v2.*`, …) of one session
 * onto the normalized event vocabulary `Reply` consumes (v1's `message.updated`,
 * `message.part.updated`, `message.part.delta`, `session.status`, `session.error`,
 * `permission.asked`, …), keeping the state the translation needs: the user message a step answers,
 * each step's model, each tool call's name and input. Events derived from a durable event carry its
 * `seq`. Unknown events pass through as `{type, properties: data}` (consumers ignore them).
 *
 * @example
 * ```ts
 * const mapper = new V2EventMapper('ses_1')
 * for (const event of mapper.map(v2Event)) reply.apply(event)
 * ```
 */
export class V2EventMapper {
  private parentId: string | undefined
  private readonly modelOf = new Map<string, { providerID?: string; id?: string; agent?: string }>()
  private readonly tools = new Map<string, { tool: string; messageID: string; input?: JsonObject }>()
  /** Text and reasoning blocks whose final text is known: later deltas (a live stream behind the log) are stale. */
  private readonly ended = new Set<string>()
  /** True once the session started running a prompt (`session.next.prompted`). */
  prompted = false

  constructor(
    readonly sessionId: string,
    private readonly options: V2EventMapperOptions = {},
  ) {}

  /** The `provider/model` of an assistant message, once its step started. */
  modelKey(assistantMessageId: string): string | undefined {
    const model = this.modelOf.get(assistantMessageId)
    return model?.providerID && model.id ? `${model.providerID}/${model.id}` : undefined
  }

  /** The normalized events for one v2 event (possibly none). */
  map(event: V2Event): OpencodeEvent[] {
    const data: JsonObject = isObject(event.data) ? event.data : {}
    const out = this.translate(event.type, data)
    const seq = event.durable?.seq
    return out.map((mapped) => ({
      ...(event.id === undefined ? {} : { id: event.id }),
      ...mapped,
      ...(typeof seq === 'number' ? { seq } : {}),
    }))
  }

  private translate(type: string, data: JsonObject): Array<{ type: string; properties: JsonObject }> {
    const sessionID = this.sessionId
    const messageID = typeof data.assistantMessageID === 'string' ? data.assistantMessageID : ''
    const part = (fields: JsonObject) => ({
      type: 'message.part.updated',
      properties: { sessionID, part: { messageID, sessionID, ...fields } as WirePart },
    })
    const at = typeof data.timestamp === 'number' ? data.timestamp : undefined
    switch (type) {
      case 'server.connected':
        return [{ type, properties: {} }]
      case `${NEXT}prompt.admitted`:
      case `${NEXT}prompted`: {
        if (typeof data.messageID === 'string') this.parentId = data.messageID
        const user = {
          type: 'message.updated',
          properties: {
            sessionID,
            info: { id: data.messageID, sessionID, role: 'user', time: { created: at } },
          },
        }
        if (type === `${NEXT}prompt.admitted`) return [user]
        this.prompted = true
        return [user, { type: 'session.status', properties: { sessionID, status: { type: 'busy' } } }]
      }
      case `${NEXT}step.started`: {
        const model = isObject(data.model) ? data.model : {}
        this.modelOf.set(messageID, {
          providerID: typeof model.providerID === 'string' ? model.providerID : undefined,
          id: typeof model.id === 'string' ? model.id : undefined,
          agent: typeof data.agent === 'string' ? data.agent : undefined,
        })
        return [
          {
            type: 'message.updated',
            properties: { sessionID, info: this.assistantInfo(messageID, { time: { created: at } }) },
          },
          part({ id: `${messageID}:step-start`, type: 'step-start' }),
        ]
      }
      case `${NEXT}text.started`:
      case `${NEXT}reasoning.started`: {
        const kind = type === `${NEXT}text.started` ? 'text' : 'reasoning'
        return [
          part({ id: blockPartId(messageID, this.blockId(data)), type: kind, text: '', time: { start: at } }),
        ]
      }
      case `${NEXT}text.delta`:
      case `${NEXT}reasoning.delta`: {
        const partID = blockPartId(messageID, this.blockId(data))
        if (typeof data.delta !== 'string' || this.ended.has(partID)) return []
        const field = type === `${NEXT}text.delta` ? 'text' : 'reasoning'
        return [
          {
            type: 'message.part.delta',
            properties: { sessionID, messageID, partID, field, delta: data.delta },
          },
        ]
      }
      case `${NEXT}text.ended`:
      case `${NEXT}reasoning.ended`: {
        const kind = type === `${NEXT}text.ended` ? 'text' : 'reasoning'
        const endedId = blockPartId(messageID, this.blockId(data))
        this.ended.add(endedId)
        return [
          part({
            id: blockPartId(messageID, this.blockId(data)),
            type: kind,
            text: typeof data.text === 'string' ? data.text : '',
            time: { end: at },
          }),
        ]
      }
      case `${NEXT}tool.input.started`:
        return [
          this.toolPart(
            messageID,
            data,
            { status: 'pending', input: {} },
            typeof data.name === 'string' ? data.name : undefined,
          ),
        ]
      case `${NEXT}tool.called`:
        return [
          this.toolPart(
            messageID,
            data,
            { status: 'running' },
            typeof data.tool === 'string' ? data.tool : undefined,
            data.input,
          ),
        ]
      case `${NEXT}tool.progress`:
        return [this.toolPart(messageID, data, this.result('running', data))]
      case `${NEXT}tool.success`:
        return [this.toolPart(messageID, data, this.result('completed', data))]
      case `${NEXT}tool.failed`: {
        const error =
          isObject(data.error) && typeof data.error.message === 'string' ? data.error.message : 'Tool failed'
        return [this.toolPart(messageID, data, { status: 'error', error })]
      }
      case `${NEXT}step.ended`: {
        const tokens = v1Tokens(data.tokens as V2Tokens | undefined)
        let cost = typeof data.cost === 'number' ? data.cost : 0
        const model = this.modelKey(messageID)
        if (cost === 0 && model)
          cost = stepCost(data.tokens as V2Tokens | undefined, this.options.pricesOf?.(model) ?? [])
        const finish = typeof data.finish === 'string' ? data.finish : undefined
        return [
          part({ id: `${messageID}:step-finish`, type: 'step-finish', reason: finish, cost, tokens }),
          {
            type: 'message.updated',
            properties: {
              sessionID,
              info: this.assistantInfo(messageID, { finish, cost, tokens, time: { completed: at } }),
            },
          },
        ]
      }
      case `${NEXT}step.failed`: {
        const error = v1Error(isObject(data.error) ? data.error : undefined)
        return [
          {
            type: 'message.updated',
            properties: {
              sessionID,
              info: this.assistantInfo(messageID, { error, time: { completed: at } }),
            },
          },
          { type: 'session.error', properties: { sessionID, error } },
        ]
      }
      case `${NEXT}retried`: {
        const error = isObject(data.error) ? data.error : {}
        return [
          {
            type: 'session.status',
            properties: {
              sessionID,
              status: {
                type: 'retry',
                attempt: data.attempt,
                message: typeof error.message === 'string' ? error.message : undefined,
              },
            },
          },
        ]
      }
      case 'permission.v2.asked': {
        const source = isObject(data.source) ? data.source : undefined
        return [
          {
            type: 'permission.asked',
            properties: {
              id: data.id,
              sessionID,
              permission: data.action,
              patterns: data.resources,
              always: data.save ?? [],
              metadata: data.metadata ?? {},
              ...(source ? { tool: { messageID: source.messageID, callID: source.callID } } : {}),
            },
          },
        ]
      }
      case 'permission.v2.replied':
        return [{ type: 'permission.replied', properties: { ...data, sessionID } }]
      case 'question.v2.asked':
      case 'question.v2.replied':
      case 'question.v2.rejected':
        return [{ type: type.replace('.v2.', '.'), properties: { ...data, sessionID } }]
      case `${NEXT}tool.input.delta`:
        return [] // not durable; tool.called carries the parsed input
      default:
        return [{ type, properties: { ...data, sessionID } }]
    }
  }

  private blockId(data: JsonObject): string {
    const id = data.textID ?? data.reasoningID
    return typeof id === 'string' ? id : 'block'
  }

  private assistantInfo(messageID: string, fields: JsonObject): JsonObject {
    const model = this.modelOf.get(messageID)
    return {
      id: messageID,
      sessionID: this.sessionId,
      role: 'assistant',
      parentID: this.parentId,
      ...(model ? { agent: model.agent, modelID: model.id, providerID: model.providerID } : {}),
      ...fields,
    }
  }

  private result(status: string, data: JsonObject): JsonObject {
    const state: JsonObject = { status }
    const output = toolOutput(data.content)
    if (output !== undefined) state.output = output
    if (isObject(data.structured)) state.metadata = data.structured
    return state
  }

  private toolPart(messageID: string, data: JsonObject, state: JsonObject, name?: string, input?: unknown) {
    const callID = typeof data.callID === 'string' ? data.callID : ''
    const known = this.tools.get(callID)
    const tool = name ?? known?.tool ?? ''
    const v1Input = input === undefined ? known?.input : v1ToolInput(tool, input)
    this.tools.set(callID, { tool, messageID: messageID || known?.messageID || '', input: v1Input })
    const merged: JsonObject = { ...state }
    if (v1Input && merged.input === undefined) merged.input = v1Input
    return {
      type: 'message.part.updated',
      properties: {
        sessionID: this.sessionId,
        part: {
          id: callID,
          messageID: messageID || known?.messageID,
          sessionID: this.sessionId,
          type: 'tool',
          tool,
          callID,
          state: merged,
        } as WirePart,
      },
    }
  }
}
