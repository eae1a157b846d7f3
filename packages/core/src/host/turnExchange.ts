// Pure questions a turn asks about its current exchange (the messages after the turn's user
// message): which assistant message came last, whether the agent is still working, and what the
// whole tool loop cost. Internal to the host layer.
import { isBlank, isObject, type OpencodeMessage } from '../wire/types.js'
import type { MessageFields } from './ports.js'

/** The assistant messages, in order. */
export function assistants(exchange: readonly OpencodeMessage[]): OpencodeMessage[] {
  return exchange.filter((message) => message?.info?.role === 'assistant')
}

/** The last assistant message, if any. */
export function lastAssistant(exchange: readonly OpencodeMessage[]): OpencodeMessage | undefined {
  const all = assistants(exchange)
  return all[all.length - 1]
}

/** `info.time` has `created` and no `completed`: the model step is still running. */
export function inProgress(message: OpencodeMessage): boolean {
  const time = message.info?.time
  return isObject(time) && 'created' in time && isBlank(time.completed)
}

/** The exchange ends with final text: the last assistant finished and did not ask for tools. */
export function terminal(fullText: string, exchange: readonly OpencodeMessage[]): boolean {
  if (isBlank(fullText)) return false
  const last = lastAssistant(exchange)
  if (!last) return true
  if (inProgress(last)) return false
  return String(last.info?.finish ?? '') !== 'tool-calls'
}

/**
 * The agent is not done: the last step asked for tools or is still running. A step whose tool
 * calls failed on a request the turn rejected (or let expire) is done: the server stops the loop
 * there, and waiting for more text would only run out the final-exchange deadline.
 */
export function moreWork(
  exchange: readonly OpencodeMessage[],
  rejectedCallIds: ReadonlySet<string> = new Set(),
): boolean {
  const last = lastAssistant(exchange)
  if (!last) return false
  if (inProgress(last)) return true
  if (String(last.info?.finish ?? '') !== 'tool-calls') return false
  if (rejectedCallIds.size === 0) return true
  const tools = (last.parts ?? []).filter((part) => isObject(part) && part.type === 'tool')
  const stoppedOnRejection = tools.some(
    (part) =>
      typeof part.callID === 'string' &&
      rejectedCallIds.has(part.callID) &&
      isObject(part.state) &&
      part.state.status === 'error',
  )
  return !stoppedOnRejection
}

const add = (sum: number | null, value: unknown) => (typeof value === 'number' ? (sum ?? 0) + value : sum)

/**
 * Cost and tokens summed over every assistant message of the turn (one per tool-loop step);
 * empty when there is none. The Ruby original took only the last step's.
 */
export function cost(exchange: readonly OpencodeMessage[]): MessageFields {
  const all = assistants(exchange)
  if (all.length === 0) return {}
  let total: number | null = null
  let input: number | null = null
  let output: number | null = null
  let cacheRead = 0
  let cacheWrite = 0
  for (const message of all) {
    const info = message.info ?? {}
    total = add(total, info.cost)
    const tokens = isObject(info.tokens) ? info.tokens : {}
    input = add(input, tokens.input)
    output = add(output, tokens.output)
    const cache = isObject(tokens.cache) ? tokens.cache : {}
    cacheRead += typeof cache.read === 'number' ? cache.read : 0
    cacheWrite += typeof cache.write === 'number' ? cache.write : 0
  }
  const fields: MessageFields = { cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite }
  if (total !== null) fields.cost = roundCost(total)
  if (input !== null) fields.inputTokens = input
  if (output !== null) fields.outputTokens = output
  return fields
}

/** Reasoning tokens summed over the tool loop (not stored on the row; reported in the usage). */
export function reasoningTokens(exchange: readonly OpencodeMessage[]): number {
  let sum = 0
  for (const message of assistants(exchange)) {
    const tokens = message.info?.tokens
    if (isObject(tokens) && typeof tokens.reasoning === 'number') sum += tokens.reasoning
  }
  return sum
}

/** Sums of binary fractions drift (0.1 + 0.2); costs are stored to 1e-10 dollars. */
const roundCost = (value: number): number => Math.round(value * 1e10) / 1e10
