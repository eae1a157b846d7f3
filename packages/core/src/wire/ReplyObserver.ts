import type { TodoItem } from './canonicalTodo.js'
import type { PendingPrompt } from './Prompts.js'
import type { MessageInfo, OpencodeEvent, ReplyPart, Tokens } from './types.js'

/**
 * Callbacks a {@link Reply} notifies as the turn streams. Implement any subset; each receives one
 * object. It may be async: an observer that throws, or whose promise rejects, is reported through
 * the reply's `onError` and never breaks the stream.
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
  /** A part was appended at `index` (text parts start empty and grow through `partChanged`). */
  partAdded?(event: { part: ReplyPart; index: number }): void
  /** A text or reasoning part grew by `delta` (stream it to the user). */
  partChanged?(event: { part: ReplyPart; index: number; delta: string }): void
  /** A text or reasoning part got its final content (possibly repaired), or was replaced by recovery. */
  partFinalized?(event: { part: ReplyPart; index: number }): void
  /**
   * Parts already shown turned out to be the user's prompt (its role became known late) and were
   * removed; the remaining parts moved up. Redraw from `reply.parts`.
   */
  partsRemoved?(event: { messageId: string }): void
  /** A tool part changed state (`pending → running → completed | error`); `raw` is what caused it. */
  toolProgressed?(event: { part: ReplyPart; index: number; status: string | undefined; raw: unknown }): void
  /** One model step ended with its cost and token usage (a tool loop has several). */
  stepFinished?(event: { cost: number; tokens: Tokens }): void
  /** The provider failed and OpenCode retries (`session.status` retry). */
  sessionRetried?(event: { attempt: number | undefined; message: string | undefined }): void
  /** The turn failed upstream: `text` is `"<name>: <message>"` (`APIError`, `MessageAbortedError`, …). */
  sessionErrored?(event: { text: string; raw: OpencodeEvent }): void
  /** An assistant message's info changed (cost, tokens, finish, error). */
  messageUpdated?(event: { info: MessageInfo }): void
  /** The session's todo list changed (raw todos, before canonicalization). */
  todosChanged?(event: { todos: TodoItem[] }): void
  /** The agent asks the user a question; answer with `Client.replyQuestion`. */
  questionAsked?(event: { request: PendingPrompt; raw: OpencodeEvent }): void
  /** A question was answered; `askedAt` is the clock time it was asked. */
  questionReplied?(event: {
    requestId: string
    answers: unknown
    raw: OpencodeEvent
    askedAt: number | undefined
  }): void
  /** A question was rejected. */
  questionRejected?(event: { requestId: string; raw: OpencodeEvent; askedAt: number | undefined }): void
  /** A tool waits for permission; answer with `Client.replyPermission`. */
  permissionAsked?(event: { request: PendingPrompt; raw: OpencodeEvent }): void
  /** A permission request was answered (`once`, `always`, `reject`). */
  permissionReplied?(event: {
    requestId: string
    reply: unknown
    raw: OpencodeEvent
    askedAt: number | undefined
  }): void
}

/** Names of the {@link ReplyObserver} callbacks. */
export type ReplyObserverCallback = keyof ReplyObserver
