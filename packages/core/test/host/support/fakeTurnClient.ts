import type { TurnClient } from '../../../src/host/Turn.js'
import type { EventsOptions, OpencodeEvent } from '../../../src/index.js'
import { AbortError, SessionNotFoundError } from '../../../src/index.js'
import type { OpencodeMessage, PromptInput } from '../../../src/wire/index.js'

/** A scripted step of the fake stream: an event, or code to run at that point. */
export type StreamStep = OpencodeEvent | (() => unknown)

/**
 * A scripted wire client in the style of the Ruby turn_test fakes: it logs the order of calls,
 * counts prompts and answers `getMessages` before and after the prompt.
 */
export class FakeTurnClient implements TurnClient {
  readonly log: string[] = []
  prompts: { sessionId: string; text: string; agent?: string; system?: string }[] = []
  aborted: string[] = []
  /** Messages before the prompt of each session. */
  before: OpencodeMessage[] = []
  /** Messages after the prompt; a function gets the poll number (1-based). */
  after: OpencodeMessage[] | ((poll: number) => OpencodeMessage[]) = []
  steps: StreamStep[] = []
  /** Reconnect right after subscribing (the prompt must not be re-sent). */
  reconnect = false
  /** Thrown by the prompt POST. */
  promptError: unknown
  /** Thrown by the stream after its steps. */
  streamError: unknown
  /** Steps of a stream resumed with `afterSeq` (the v2 durable log); thrown after them: `resumeError`. */
  resumeSteps: StreamStep[] = []
  resumeError: unknown
  /** The `afterSeq` of every resumed stream. */
  readonly resumedAfter: number[] = []
  /** Sessions that answer 404. */
  readonly missing = new Set<string>()
  private polls = 0
  private created = 0

  async createSession(): Promise<{ id: string }> {
    this.log.push('create_session')
    this.created++
    return { id: `ses_new_${this.created}` }
  }

  async deleteSession(id: string): Promise<unknown> {
    this.log.push(`delete ${id}`)
    return true
  }

  async getMessages(sessionId: string): Promise<OpencodeMessage[]> {
    this.log.push(this.prompts.length === 0 ? 'messages_before' : 'messages_after')
    if (this.missing.has(sessionId)) throw new SessionNotFoundError('Session not found', { status: 404 })
    if (this.prompts.length === 0) return this.before
    this.polls++
    return typeof this.after === 'function' ? this.after(this.polls) : this.after
  }

  async prompt(sessionId: string, input: PromptInput): Promise<void> {
    this.log.push('prompt')
    this.prompts.push({ sessionId, text: input.text, agent: input.agent, system: input.system })
    if (this.promptError) throw this.promptError
    if (this.missing.has(sessionId)) throw new SessionNotFoundError('Session not found', { status: 404 })
  }

  async abortSession(id: string): Promise<unknown> {
    this.log.push(`abort ${id}`)
    this.aborted.push(id)
    return true
  }

  /** Like `Client.events`: subscribe, run `onceConnected` once, then the scripted steps. */
  async *events(_sessionId: string, options: EventsOptions = {}): AsyncIterable<OpencodeEvent> {
    if (options.afterSeq !== undefined) {
      this.log.push(`sse_resumed ${options.afterSeq}`)
      this.resumedAfter.push(options.afterSeq)
      for (const step of this.resumeSteps) {
        if (typeof step === 'function') await step()
        else yield step
      }
      if (this.resumeError) throw this.resumeError
      return
    }
    this.log.push('sse_ready')
    await options.onceConnected?.()
    if (this.reconnect) this.log.push('sse_reconnected') // a new connection never runs onceConnected again
    for (const step of this.steps) {
      if (options.signal?.aborted) throw new AbortError('The event stream was aborted')
      if (typeof step === 'function') {
        await step()
        continue
      }
      yield step
    }
    if (options.signal?.aborted) throw new AbortError('The event stream was aborted')
    if (this.streamError) throw this.streamError
  }
}

const SESSION = 'ses_turn_test'

/** `message.part.delta` of assistant text. */
export const delta = (
  text: string,
  partID = 'prt_text',
  field: 'text' | 'reasoning' = 'text',
): OpencodeEvent => ({
  type: 'message.part.delta',
  properties: { sessionID: SESSION, messageID: 'msg_assistant', partID, field, delta: text },
})

/** `session.status` idle: the turn is over. */
export const idle = (): OpencodeEvent => ({
  type: 'session.status',
  properties: { sessionID: SESSION, status: { type: 'idle' } },
})

export const heartbeat = (): OpencodeEvent => ({ type: 'server.heartbeat', properties: {} })

/** `todo.updated` with the given todos (a stream-only part). */
export const todos = (items: { content: string; status: string }[]): OpencodeEvent => ({
  type: 'todo.updated',
  properties: {
    sessionID: SESSION,
    todos: items.map((item, i) => ({ id: `todo_${i}`, priority: 'medium', ...item })),
  },
})

export const userMessage = (text: string, id = 'msg_user'): OpencodeMessage => ({
  info: { id, role: 'user', sessionID: SESSION, time: { created: 1 } },
  parts: [{ id: `${id}_p`, type: 'text', text, messageID: id, sessionID: SESSION }],
})

/** An assistant message (one model step). */
export const assistantMessage = (options: {
  id?: string
  text?: string
  finish?: string
  completed?: boolean
  cost?: number
  tokens?: { input: number; output: number; cache?: { read: number; write: number } }
  error?: Record<string, unknown>
  parts?: Record<string, unknown>[]
}): OpencodeMessage => {
  const id = options.id ?? 'msg_assistant'
  const parts: Record<string, unknown>[] = [...(options.parts ?? [])]
  if (options.text !== undefined)
    parts.push({ id: `${id}_t`, type: 'text', text: options.text, messageID: id })
  return {
    info: {
      id,
      role: 'assistant',
      sessionID: SESSION,
      finish: options.finish ?? 'stop',
      time: options.completed === false ? { created: 1 } : { created: 1, completed: 2 },
      cost: options.cost ?? 0,
      tokens: options.tokens ?? { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
      ...(options.error ? { error: options.error } : {}),
    },
    parts,
  } as OpencodeMessage
}

/** A completed tool part as stored on an assistant message. */
export const toolPart = (
  tool: string,
  input: Record<string, unknown>,
  output = 'ok',
): Record<string, unknown> => ({
  id: `prt_${tool}`,
  type: 'tool',
  tool,
  callID: `call_${tool}`,
  state: { status: 'completed', input, output, title: tool, metadata: {}, time: { start: 1, end: 2 } },
})
