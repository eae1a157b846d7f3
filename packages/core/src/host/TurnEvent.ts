import type { RowId } from './ports.js'

/**
 * The version of the {@link TurnEvent} vocabulary. It is carried by every `start` event; a consumer
 * that stored or relayed events can tell which shape it holds. Additive changes (a new optional
 * field, a new event type a consumer may ignore) keep the version; anything else bumps it.
 */
export const TURN_EVENT_VERSION = 1

/** How a turn ended. */
export type TurnStatus = 'completed' | 'cancelled' | 'error' | 'failed'

/** Cost and tokens of a turn, summed over every model step of its tool loop. */
export interface TurnUsage {
  /** USD, as the server priced it. */
  cost: number
  inputTokens: number
  outputTokens: number
  reasoningTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
}

/** A JSON view of one tool call, ready to render (see `describeTool`). */
export interface ToolView {
  /** The tool's name as the agent called it (`write`, `bash`, `exa_web_search`…). */
  tool: string
  status: 'pending' | 'running' | 'completed' | 'error'
  /** A short human label (`Write: notes.md`). */
  title: string
  /** An icon name from the view's icon set. */
  icon: string
  /** What it acted on: a path, a command, a URL, a query. */
  target?: string
  /** Highlighting language of `content`/`diff` (`markdown`, `typescript`…). */
  language?: string
  /** A unified diff, for edits. */
  diff?: string
  /** File content written, for `write`. */
  content?: string
  /** Output (bash output, fetched text), truncated for display. */
  output?: string
  /** The error message of a failed call. */
  error?: string
  /** The todo list, for `todowrite`. */
  todos?: TodoView[]
}

/** One todo item of the agent's plan. */
export interface TodoView {
  id?: string
  content: string
  status: 'pending' | 'in_progress' | 'completed' | 'cancelled' | (string & {})
  priority?: string
}

/** What a permission request asks (OpenCode's `permission.asked`). */
export interface PermissionRequestView {
  kind: 'permission'
  /** `per_…`: answer with this id. */
  id: string
  /** The permission (`bash`, `edit`, `external_directory`, `doom_loop`…). */
  permission: string
  /** The patterns it asks for (`echo step1`). */
  patterns: string[]
  /** Patterns an "always" answer would allow (`echo *`). */
  always: string[]
  /** The tool call that asked, when the server names it. */
  callId?: string
  /** Extra facts from the server (the command, the path…). */
  metadata: Record<string, unknown>
}

/** What a question request asks (OpenCode's `question.asked`). */
export interface QuestionRequestView {
  kind: 'question'
  /** `que_…`: answer with this id. */
  id: string
  /** The questions, each with its choices, as the server sent them. */
  questions: Array<{
    question: string
    header?: string
    options?: Array<{ label: string; description?: string }>
    multiple?: boolean
  }>
  callId?: string
}

/** An error as it travels in a `finish` event: plain data, no stack. */
export interface TurnEventError {
  /** The error class (`TimeoutError`, `ServerError`…). */
  name: string
  /** The `OpencodeError` code, when it has one. */
  code?: string
  message: string
}

/**
 * One thing that happened during a turn, as plain JSON (safe to `JSON.stringify`, relay and store).
 * `seq` starts at 1 and increases by one per event of the turn, so a consumer can resume after the
 * last one it saw. `start` is always first and `finish` always last.
 *
 * After a `restart` (a recreated session or a recovered stream replaced what was shown) the consumer
 * resets its view; the events that follow rebuild it.
 *
 * @example
 * ```ts
 * for await (const event of turn.events) {
 *   switch (event.type) {
 *     case 'text-delta': view.append(event.partId, event.text); break
 *     case 'tool': view.setTool(event.partId, event.tool); break
 *     case 'restart': view.reset(); break
 *     case 'finish': view.done(event.status, event.usage); break
 *   }
 * }
 * ```
 */
export type TurnEvent =
  | {
      type: 'start'
      seq: number
      /** {@link TURN_EVENT_VERSION}. */
      version: number
      messageId: RowId
      sessionId: string
      /** True when this turn minted the upstream session. */
      created: boolean
    }
  | { type: 'text-delta'; seq: number; partId: string; text: string }
  | { type: 'reasoning-delta'; seq: number; partId: string; text: string }
  | { type: 'tool'; seq: number; partId: string; tool: ToolView }
  | { type: 'todos'; seq: number; todos: TodoView[] }
  | { type: 'permission'; seq: number; request: PermissionRequestView }
  | { type: 'question'; seq: number; request: QuestionRequestView }
  | {
      type: 'request-resolved'
      seq: number
      requestId: string
      resolution: 'answered' | 'rejected' | 'expired'
      /** The answer given (`once`/`always`/`reject`, or the question's answers). */
      answer?: unknown
    }
  | {
      type: 'retry'
      seq: number
      /** The server's retry attempt (1, 2, …). */
      attempt: number
      message: string
      /** Epoch ms of the next attempt, when the server says. */
      nextAt?: number
    }
  | { type: 'restart'; seq: number; reason: 'session-recreated' | 'stream-recovered' | 'resumed' }
  | {
      type: 'finish'
      seq: number
      status: TurnStatus
      /** The message's content as stored (the reply, the fallback text, or what a cancel kept). */
      content: string | null
      usage: TurnUsage
      error?: TurnEventError
    }

/** The `type` of a {@link TurnEvent}. */
export type TurnEventType = TurnEvent['type']
