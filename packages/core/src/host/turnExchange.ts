import { isBlank, isObject, type OpencodeMessage } from '../wire/types.js'
import type { MessageFields } from './ports.js'

/**
 * Pure questions Turn asks about the current exchange (the messages after the turn's user
 * message): which assistant message came last, whether the agent is still working, and what the
 * whole tool loop cost.
 */
export const TurnExchange = {
  /** The assistant messages, in order. */
  assistants(exchange: readonly OpencodeMessage[]): OpencodeMessage[] {
    return exchange.filter((message) => message?.info?.role === 'assistant')
  },

  /** The last assistant message, if any. */
  lastAssistant(exchange: readonly OpencodeMessage[]): OpencodeMessage | undefined {
    const assistants = TurnExchange.assistants(exchange)
    return assistants[assistants.length - 1]
  },

  /** `info.time` has `created` and no `completed`: the model step is still running. */
  inProgress(message: OpencodeMessage): boolean {
    const time = message.info?.time
    return isObject(time) && 'created' in time && isBlank(time.completed)
  },

  /** The exchange ends with final text: the last assistant finished and did not ask for tools. */
  terminal(fullText: string, exchange: readonly OpencodeMessage[]): boolean {
    if (isBlank(fullText)) return false
    const last = TurnExchange.lastAssistant(exchange)
    if (!last) return true
    if (TurnExchange.inProgress(last)) return false
    return String(last.info?.finish ?? '') !== 'tool-calls'
  },

  /** The agent is not done: the last step asked for tools or is still running. */
  moreWork(exchange: readonly OpencodeMessage[]): boolean {
    const last = TurnExchange.lastAssistant(exchange)
    if (!last) return false
    return String(last.info?.finish ?? '') === 'tool-calls' || TurnExchange.inProgress(last)
  },

  /**
   * Cost and tokens summed over every assistant message of the turn (one per tool-loop step);
   * empty when there is none. The Ruby original took only the last step's.
   */
  cost(exchange: readonly OpencodeMessage[]): MessageFields {
    const assistants = TurnExchange.assistants(exchange)
    if (assistants.length === 0) return {}
    let cost: number | null = null
    let input: number | null = null
    let output: number | null = null
    let cacheRead = 0
    let cacheWrite = 0
    const add = (sum: number | null, value: unknown) => (typeof value === 'number' ? (sum ?? 0) + value : sum)
    for (const message of assistants) {
      const info = message.info ?? {}
      cost = add(cost, info.cost)
      const tokens = isObject(info.tokens) ? info.tokens : {}
      input = add(input, tokens.input)
      output = add(output, tokens.output)
      const cache = isObject(tokens.cache) ? tokens.cache : {}
      cacheRead += typeof cache.read === 'number' ? cache.read : 0
      cacheWrite += typeof cache.write === 'number' ? cache.write : 0
    }
    const fields: MessageFields = { cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite }
    if (cost !== null) fields.cost = roundCost(cost)
    if (input !== null) fields.inputTokens = input
    if (output !== null) fields.outputTokens = output
    return fields
  },
} as const

/** Sums of binary fractions drift (0.1 + 0.2); costs are stored to 1e-10 dollars. */
const roundCost = (cost: number): number => Math.round(cost * 1e10) / 1e10
