const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
let lastTime = 0
let counter = 0

/**
 * A new upstream user message id (`msg_…`), built the way OpenCode builds its own: 12 hex digits
 * of `time * 0x1000 + counter` (so ids sort by creation among the session's messages), then 14
 * random base62 characters. Choose it before the prompt is sent (`prompt({ messageId })`), store
 * it, and a second run for the same turn can find the message instead of prompting again.
 *
 * @example
 * ```ts
 * const messageId = newMessageId()
 * await messages.claimPrompt(row.id, { opencodeSessionId: sessionId, opencodeMessageId: messageId })
 * await client.prompt(sessionId, { text, messageId })
 * ```
 */
export function newMessageId(now: number = Date.now()): string {
  const time = Math.floor(now)
  if (time !== lastTime) {
    lastTime = time
    counter = 0
  }
  counter++
  // Low 48 bits of time * 0x1000 + counter, as 12 hex digits (BigInt: beyond 2^53).
  const value = (BigInt(time) * 0x1000n + BigInt(counter)) & 0xffff_ffff_ffffn
  const random = new Uint8Array(14)
  globalThis.crypto.getRandomValues(random)
  let tail = ''
  for (const byte of random) tail += BASE62[byte % 62]
  return `msg_${value.toString(16).padStart(12, '0')}${tail}`
}
