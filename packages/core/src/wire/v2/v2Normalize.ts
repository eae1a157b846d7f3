/**
 * Pure conversions from the v2 API's shapes to the ones the rest of opencode-kit reads (the v1
 * message and part shapes of `types.ts`), so `Reply`, `ResponseParser`, turns and adapters do not
 * care which API the server speaks.
 */
import {
  isObject,
  type JsonObject,
  type MessageErrorInfo,
  type OpencodeMessage,
  type Tokens,
  type WirePart,
} from '../types.js'
import type { V2Content, V2Error, V2Message, V2Price, V2Tokens } from './v2Types.js'

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0)

/** v2 tokens with the `total` v1 reports (input + output + reasoning + cache). */
export function v1Tokens(tokens: V2Tokens | undefined): Tokens {
  const input = num(tokens?.input)
  const output = num(tokens?.output)
  const reasoning = num(tokens?.reasoning)
  const read = num(tokens?.cache?.read)
  const write = num(tokens?.cache?.write)
  return {
    total: input + output + reasoning + read + write,
    input,
    output,
    reasoning,
    cache: { read, write },
  }
}

/**
 * The cost of one step from a model's prices (USD per million tokens), the way OpenCode 2.0's
 * `SessionUsage.calculateCost` does it: the price of the largest context tier the step's incoming
 * tokens exceed, else the untiered price; reasoning tokens at the output rate.
 */
export function stepCost(tokens: V2Tokens | undefined, prices: readonly V2Price[]): number {
  const t = v1Tokens(tokens)
  const incoming = num(t.input) + num(t.cache?.read) + num(t.cache?.write)
  const tiered = prices
    .filter((price) => price.tier && incoming > num(price.tier.size))
    .sort((a, b) => num(b.tier?.size) - num(a.tier?.size))[0]
  const price = tiered ?? prices.find((candidate) => !candidate.tier)
  if (!price) return 0
  return (
    (num(t.input) * num(price.input) +
      (num(t.output) + num(t.reasoning)) * num(price.output) +
      num(t.cache?.read) * num(price.cache?.read) +
      num(t.cache?.write) * num(price.cache?.write)) /
    1_000_000
  )
}

/** The message of a v2 step failure that an interrupt leaves (`POST /api/session/:id/interrupt`). */
export const INTERRUPTED_MESSAGE = 'Provider turn interrupted'

/**
 * A v2 `{type, message}` error in v1's `{name, data: {message, …}}` shape: an interrupt becomes
 * `MessageAbortedError` (as v1's abort), a provider HTTP failure `APIError` with the status parsed
 * from the message (1.18.33 has no status field), anything else `UnknownError`.
 */
export function v1Error(error: V2Error | undefined): MessageErrorInfo {
  const message = typeof error?.message === 'string' ? error.message : ''
  if (message === INTERRUPTED_MESSAGE) return { name: 'MessageAbortedError', data: { message } }
  const http = /\bHTTP (\d{3})\b/.exec(message)
  if (http) {
    const statusCode = Number(http[1])
    return {
      name: 'APIError',
      data: { message, statusCode, isRetryable: statusCode >= 500 || statusCode === 429 },
    }
  }
  return { name: error?.type && error.type !== 'unknown' ? error.type : 'UnknownError', data: { message } }
}

/** The part id of a text or reasoning block: v2's `text-0` repeats in every message. */
export const blockPartId = (messageId: string, blockId: string): string => `${messageId}:${blockId}`

/** A tool's output: the text entries of its content, one per line. */
export function toolOutput(content: unknown): string | undefined {
  if (!Array.isArray(content)) return undefined
  const texts = content
    .filter((entry): entry is JsonObject => isObject(entry) && typeof entry.text === 'string')
    .map((entry) => String(entry.text))
  return texts.length > 0 ? texts.join('') : undefined
}

/**
 * v2's `write` tool takes `path`, v1's `filePath`: the v1 name is added so artifact extraction
 * (and anything else reading v1 tool inputs) works on either API.
 */
export function v1ToolInput(tool: string, input: unknown): JsonObject | undefined {
  if (!isObject(input)) return undefined
  if (tool === 'write' && typeof input.path === 'string' && typeof input.filePath !== 'string')
    return { ...input, filePath: input.path }
  return input
}

/** A tool entry of a v2 message as a v1 tool part. */
function toolPart(messageId: string, sessionId: string, entry: V2Content): WirePart {
  const state = isObject(entry.state) ? entry.state : {}
  const tool = String(entry.name ?? '')
  const status = String(state.status ?? 'pending')
  const v1State: JsonObject = { status }
  const input = v1ToolInput(tool, state.input)
  if (input) v1State.input = input
  const output = toolOutput(state.content)
  if (output !== undefined) v1State.output = output
  if (isObject(state.structured)) v1State.metadata = state.structured
  if (isObject(state.error) && typeof state.error.message === 'string') v1State.error = state.error.message
  return {
    id: String(entry.id ?? ''),
    messageID: messageId,
    sessionID: sessionId,
    type: 'tool',
    tool,
    callID: String(entry.id ?? ''),
    state: v1State,
  }
}

/** Options of {@link messagesFromV2}. */
export interface MessagesFromV2Options {
  /** The price list of a model (`provider/model`), for steps the server reported at cost 0. */
  pricesOf?: (model: string) => readonly V2Price[] | undefined
}

/**
 * v2 messages (oldest first) as v1 `{info, parts}` messages. User messages get one text part;
 * assistant messages a `step-start`, their content (text, reasoning, tools), and a `step-finish`
 * with the step's cost and tokens when the step ended. v2 messages carry no `parentID`: each
 * assistant message gets the id of the user message before it, as v1 reports it.
 */
export function messagesFromV2(
  sessionId: string,
  messages: readonly V2Message[],
  options: MessagesFromV2Options = {},
): OpencodeMessage[] {
  let parentId: string | undefined
  const result: OpencodeMessage[] = []
  for (const message of messages) {
    if (!isObject(message) || typeof message.id !== 'string') continue
    const id = message.id
    if (message.type === 'user') {
      parentId = id
      result.push({
        info: { id, sessionID: sessionId, role: 'user', time: { created: message.time?.created } },
        parts: [
          {
            id: `${id}:text`,
            messageID: id,
            sessionID: sessionId,
            type: 'text',
            text: String(message.text ?? ''),
          },
        ],
      })
      continue
    }
    if (message.type !== 'assistant') continue
    const model = isObject(message.model) ? message.model : {}
    const tokens = v1Tokens(message.tokens)
    const ended = message.tokens !== undefined
    let cost = num(message.cost)
    const model2 = model.providerID && model.id ? `${model.providerID}/${model.id}` : undefined
    if (cost === 0 && ended && model2) cost = stepCost(message.tokens, options.pricesOf?.(model2) ?? [])
    const parts: WirePart[] = [
      { id: `${id}:step-start`, messageID: id, sessionID: sessionId, type: 'step-start' },
    ]
    for (const entry of Array.isArray(message.content) ? message.content : []) {
      if (!isObject(entry)) continue
      if (entry.type === 'text' || entry.type === 'reasoning')
        parts.push({
          id: blockPartId(id, String(entry.id ?? parts.length)),
          messageID: id,
          sessionID: sessionId,
          type: entry.type,
          text: String(entry.text ?? ''),
        })
      else if (entry.type === 'tool') parts.push(toolPart(id, sessionId, entry))
    }
    if (ended)
      parts.push({
        id: `${id}:step-finish`,
        messageID: id,
        sessionID: sessionId,
        type: 'step-finish',
        reason: message.finish,
        cost,
        tokens,
      })
    result.push({
      info: {
        id,
        sessionID: sessionId,
        role: 'assistant',
        parentID: parentId,
        agent: message.agent,
        modelID: model.id,
        providerID: model.providerID,
        time: { created: message.time?.created, completed: message.time?.completed },
        cost,
        tokens,
        ...(message.finish === undefined ? {} : { finish: message.finish }),
        ...(isObject(message.error) ? { error: v1Error(message.error) } : {}),
      },
      parts,
    })
  }
  return result
}
