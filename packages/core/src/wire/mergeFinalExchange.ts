import { PartSource } from './PartSource.js'
import { ResponseParser } from './ResponseParser.js'
import type { OpencodeMessage, ReplyPart } from './types.js'

/** Messages of the current turn: everything after the last user message, assistant ones only. */
export function currentTurnAssistants(messages: readonly OpencodeMessage[]): OpencodeMessage[] {
  let lastUser = -1
  messages.forEach((message, index) => {
    if (message?.info?.role === 'user') lastUser = index
  })
  return messages.slice(lastUser + 1).filter((message) => message?.info?.role === 'assistant')
}

/**
 * The final-exchange merge: the polled messages are the truth, but parts that exist only on the
 * stream (todos from `todo.updated`) keep their place. Walk the streamed parts in order: a
 * stream-only part stays, any other is replaced by the next polled part; leftover polled parts are
 * appended.
 */
export function mergeStreamOnlyParts(
  streamed: readonly ReplyPart[],
  polled: readonly ReplyPart[],
): ReplyPart[] {
  const merged: ReplyPart[] = []
  let next = 0
  for (const part of streamed) {
    if (PartSource.streamOnly(part)) merged.push(part)
    else if (next < polled.length) merged.push(polled[next++] as ReplyPart)
  }
  while (next < polled.length) merged.push(polled[next++] as ReplyPart)
  return merged
}

/** Polled parts of the turn's assistant messages merged with the streamed parts (see {@link mergeStreamOnlyParts}). */
export function mergeFinalExchange(
  streamed: readonly ReplyPart[],
  messages: readonly OpencodeMessage[],
): ReplyPart[] {
  const polled = currentTurnAssistants(messages).flatMap((message) =>
    ResponseParser.extractInterleavedParts(message),
  )
  return mergeStreamOnlyParts(streamed, polled)
}
