import type { RowId } from './RowId.js'

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
  /** The tool's name as the agent called it (`write`, `bash`, `exa_web_search_exa`…). */
  tool: string
  /** The name without an MCP provider's prefix/suffix (`exa_web_fetch_exa` → `web_fetch`). */
  name: string
  /** Where the tool comes from: `opencode-builtin`, an MCP provider (`exa`, `brave`…), or `unknown`. */
  provider: string
  status: 'pending' | 'running' | 'completed' | 'error'
  /** The kind of tool (`Read`, `Bash`, `Web search`). */
  label: string
  /** A short human label (`Read: notes.md`). */
  title: string
  /** What it does while running (`Reading`). */
  activity: string
  /** What it did, for a finished call (`Read notes.md`). */
  summary: string
  /** An icon name from the view's icon set. */
  icon: string
  /** What it acted on: a path, a command, a URL, a query. */
  target?: string
  /** Highlighting language of the target (`markdown`, `typescript`…). */
  language?: string
  /** A unified diff, for edits. */
  diff?: string
  /** File content written, for `write`. */
  content?: string
  /** Output (bash output, fetched text), truncated for display. */
  output?: string
  /** The error message of a failed call. */
  error?: string
  /** What a bash command is for, as the agent described it. */
  description?: string
  /** Matches of `grep`, files of `glob`. */
  matchCount?: number
  /** The todo list, for `todowrite`/`todoread` (in progress first, then pending, then completed). */
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
 * `seq` starts at 1 and increases by one per event delivered, so a consumer can resume after the
 * last one it saw. `start` is always first and `finish` always last.
 *
 * `partId` names a part of the reply by its position in the message row's `parts` (`"0"`, `"1"`…):
 * text arrives as `text-delta`s to append, a tool call as `tool` events that replace its view.
 * After a `restart` (a recreated session, a recovered stream, or a consumer that fell behind) the
 * consumer resets its view; the events that follow rebuild it.
 *
 * Delivery never waits for the consumer: the turn runs at its own pace and the events wait in a
 * bounded buffer. While they wait, adjacent deltas of one part are merged into one and a newer view
 * of a tool (or of the todo list) replaces the older one; if the buffer still outgrows its bound
 * (`maxBufferedEvents`, default 1000) it is replaced by a `restart` (`compacted`) and a snapshot
 * of the reply so far. A consumer that iterates late, slowly or never costs the turn nothing and
 * holds at most the bound plus one copy of the reply.
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
      /** The upstream session (null when the turn ended before it had one). */
      sessionId: string | null
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
  | {
      type: 'restart'
      seq: number
      /**
       * `session-recreated`: the stale session was replaced and the prompt re-sent (`sessionId` is
       * the new one); `stream-recovered`: the server's copy replaced what streamed; `compacted`: the
       * consumer fell behind and the buffered events were replaced by a snapshot; `resumed`: a
       * turn resumed after a crash.
       */
      reason: 'session-recreated' | 'stream-recovered' | 'compacted' | 'resumed'
      sessionId?: string
    }
  | {
      type: 'finish'
      seq: number
      status: TurnStatus
      /** The message's content as stored (the reply, the fallback text, or what a cancel kept). */
      content: string | null
      usage: TurnUsage
      /** Milliseconds the turn took (absent when the event was rebuilt from a stored row). */
      durationMs?: number
      error?: TurnEventError
    }

/** The `type` of a {@link TurnEvent}. */
export type TurnEventType = TurnEvent['type']
