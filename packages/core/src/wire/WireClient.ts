import type { CallOptions, CreateSessionInput, PromptOptions, StreamEventsOptions } from './Client.js'
import type { OpencodeEvent, OpencodeMessage, OpencodeSession } from './types.js'

/**
 * The part of {@link Client} the orchestration layer depends on (host-layer.md §6.5): depend on
 * this instead of the class, and a test can pass a small fake. `Client` implements it.
 *
 * @example
 * ```ts
 * const fake: WireClient = {
 *   createSession: async () => ({ id: 'ses_test' }),
 *   deleteSession: async () => true,
 *   abortSession: async () => true,
 *   getMessages: async () => [],
 *   sendMessageAsync: async () => {},
 *   streamEvents: async (_options, onEvent) => {
 *     await onEvent({ type: 'session.idle', properties: { sessionID: 'ses_test' } })
 *   },
 * }
 * ```
 */
export interface WireClient {
  /** `POST /session`. */
  createSession(input?: CreateSessionInput, options?: CallOptions): Promise<OpencodeSession>
  /** `DELETE /session/:id`. */
  deleteSession(id: string, options?: CallOptions): Promise<unknown>
  /** `POST /session/:id/abort`. */
  abortSession(id: string, options?: CallOptions): Promise<unknown>
  /** `GET /session/:id/message`. */
  getMessages(sessionId: string, options?: CallOptions): Promise<OpencodeMessage[]>
  /** `POST /session/:id/prompt_async`. */
  sendMessageAsync(sessionId: string, text: string, options?: PromptOptions): Promise<void>
  /** `GET /event` for one session until it goes idle (see {@link Client.streamEvents}). */
  streamEvents(
    options: StreamEventsOptions,
    onEvent: (event: OpencodeEvent) => void | Promise<void>,
  ): Promise<void>
}
