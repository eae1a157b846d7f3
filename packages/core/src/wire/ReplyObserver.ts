import type { PendingPrompt } from './Prompts.js'
import type { TodoItem } from './Todo.js'
import type { MessageInfo, OpencodeEvent, ReplyPart, Tokens } from './types.js'

/**
 * Callbacks a {@link Reply} notifies as the turn streams. Implement any subset; each receives one
 * object. An observer that throws is reported through the ErrorReporter and never breaks the stream.
 *
 * @example
 * ```ts
 * reply.addObserver({
 *   partChanged: ({ part, index, delta }) => socket.send({ index, delta }),
 *   toolProgressed: ({ part, index }) => socket.send({ index, tool: part }),
 * })
 * ```
 */
export interface ReplyObserver {
  partAdded?(event: { part: ReplyPart; index: number }): void
  partChanged?(event: { part: ReplyPart; index: number; delta: string }): void
  partFinalized?(event: { part: ReplyPart; index: number }): void
  toolProgressed?(event: { part: ReplyPart; index: number; status: string | undefined; raw: unknown }): void
  stepFinished?(event: { cost: number; tokens: Tokens }): void
  sessionRetried?(event: { attempt: number | undefined; message: string | undefined }): void
  sessionErrored?(event: { text: string; raw: OpencodeEvent }): void
  messageUpdated?(event: { info: MessageInfo }): void
  todosChanged?(event: { todos: TodoItem[] }): void
  questionAsked?(event: { request: PendingPrompt; raw: OpencodeEvent }): void
  questionReplied?(event: {
    requestId: string
    answers: unknown
    raw: OpencodeEvent
    askedAt: number | undefined
  }): void
  questionRejected?(event: { requestId: string; raw: OpencodeEvent; askedAt: number | undefined }): void
  permissionAsked?(event: { request: PendingPrompt; raw: OpencodeEvent }): void
  permissionReplied?(event: {
    requestId: string
    reply: unknown
    raw: OpencodeEvent
    askedAt: number | undefined
  }): void
}

/** Names of the {@link ReplyObserver} callbacks. */
export type ReplyObserverCallback = keyof ReplyObserver
