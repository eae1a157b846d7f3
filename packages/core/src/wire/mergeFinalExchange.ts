import { extractInterleavedParts } from './parseMessages.js'
import { isStreamOnlyPart } from './streamOnlyParts.js'
import type { OpencodeMessage, ReplyPart, TextPart, ToolPartRecord } from './types.js'

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
 * appended. What the poll does not have yet is never thrown away: with no polled part at all (the
 * server has not saved the reply yet) the streamed parts stand as they are, and streamed parts
 * beyond the polled ones that the poll does not contain (a last tool-loop step not saved yet) are
 * kept after them.
 */
export function mergeStreamOnlyParts(
  streamed: readonly ReplyPart[],
  polled: readonly ReplyPart[],
): ReplyPart[] {
  if (polled.length === 0) return [...streamed]
  const merged: ReplyPart[] = []
  let next = 0
  for (const part of streamed) {
    if (isStreamOnlyPart(part)) merged.push(part)
    else if (next < polled.length) merged.push(polled[next++] as ReplyPart)
    else if (!polled.some((saved) => contains(saved, part))) merged.push(part)
  }
  while (next < polled.length) merged.push(polled[next++] as ReplyPart)
  return merged
}

/** True when the saved part already holds what the streamed one says (same text, or the same tool call). */
function contains(saved: ReplyPart, streamed: ReplyPart): boolean {
  if (saved.type !== streamed.type) return false
  if (streamed.type === 'text' || streamed.type === 'reasoning') {
    const text = String((streamed as TextPart).content ?? '')
    return String((saved as TextPart).content ?? '').includes(text)
  }
  if (streamed.type === 'tool') {
    const a = saved as ToolPartRecord
    const b = streamed as ToolPartRecord
    return a.tool === b.tool && JSON.stringify(a.input ?? {}) === JSON.stringify(b.input ?? {})
  }
  return JSON.stringify(saved) === JSON.stringify(streamed)
}

/** Polled parts of the turn's assistant messages merged with the streamed parts (see {@link mergeStreamOnlyParts}). */
export function mergeFinalExchange(
  streamed: readonly ReplyPart[],
  messages: readonly OpencodeMessage[],
): ReplyPart[] {
  const polled = currentTurnAssistants(messages).flatMap((message) => extractInterleavedParts(message))
  return mergeStreamOnlyParts(streamed, polled)
}
