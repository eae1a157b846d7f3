import { isObject, type OpencodeEvent } from '../types.js'

/**
 * True for the event that ends a session's turn: `session.status` idle (an object with
 * `type: "idle"` on current servers, the bare string `"idle"` on some older ones) or the legacy
 * `session.idle`.
 *
 * @example
 * ```ts
 * for await (const event of feed) if (isTerminalEvent(event)) break
 * ```
 */
export function isTerminalEvent(event: OpencodeEvent): boolean {
  if (event.type === 'session.idle') return true
  if (event.type !== 'session.status') return false
  const status = event.properties.status
  return status === 'idle' || (isObject(status) && status.type === 'idle')
}
