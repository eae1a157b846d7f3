import type {
  PermissionRequestView,
  QuestionRequestView,
  TodoView,
  ToolView,
  TurnEvent,
  TurnEventError,
  TurnStatus,
  TurnUsage,
} from '../host/TurnEvent.js'

/** One piece of the reply, in the order it first appeared. */
export type TurnViewPart =
  | { kind: 'text'; id: string; text: string }
  | { kind: 'reasoning'; id: string; text: string }
  | { kind: 'tool'; id: string; tool: ToolView }

/** A permission or question the agent asked, and what became of it. */
export interface TurnViewRequest {
  request: PermissionRequestView | QuestionRequestView
  status: 'pending' | 'answered' | 'rejected' | 'expired'
  /** The answer given, once resolved. */
  answer?: unknown
}

/**
 * What a UI renders for one turn: plain, immutable data (each {@link foldTurnEvent} returns a new
 * object and keeps what did not change), so React, Vue or Svelte see the change by identity.
 */
export interface TurnView {
  /** `waiting` before the `start`, `running` until the `finish`, then how it ended. */
  status: 'waiting' | 'running' | TurnStatus
  /** The upstream session, once started. */
  sessionId: string | null
  /** Text, reasoning and tool calls in order. */
  parts: readonly TurnViewPart[]
  /** The agent's latest todo list. */
  todos: readonly TodoView[]
  /** Permissions and questions asked during the turn. */
  requests: readonly TurnViewRequest[]
  /** The latest retry notice while the server retries the model (cleared by the `finish`). */
  retry: { attempt: number; message: string; nextAt?: number } | null
  /** The message's content as stored, from the `finish`. */
  content: string | null
  usage: TurnUsage | null
  error: TurnEventError | null
  /** The last `seq` folded in: resume after it. */
  lastSeq: number
  /**
   * Events were missed (a jump in `seq`: the log was trimmed or lost). The text shown is then
   * incomplete until the `finish`, whose `content` replaces it.
   */
  gap: boolean
}

/** The view before any event: pass it to `useReducer(foldTurnEvent, initialTurnView)`. */
export const initialTurnView: TurnView = Object.freeze({
  status: 'waiting',
  sessionId: null,
  parts: Object.freeze([]) as readonly TurnViewPart[],
  todos: Object.freeze([]) as readonly TodoView[],
  requests: Object.freeze([]) as readonly TurnViewRequest[],
  retry: null,
  content: null,
  usage: null,
  error: null,
  lastSeq: 0,
  gap: false,
})

/**
 * Fold one event into the view: a pure reducer. Events at or before `view.lastSeq` are ignored
 * (a replay after a reconnect); a jump in `seq` sets `gap`; `restart` (and a second `start`)
 * resets the view; the `finish` records the outcome and, after a gap, shows the stored `content`
 * in place of the streamed text.
 *
 * @example
 * ```tsx
 * const [view, dispatch] = useReducer(foldTurnEvent, initialTurnView)
 * useEffect(() => {
 *   const controller = new AbortController()
 *   void (async () => {
 *     for await (const event of readTurnEvents(url, { signal: controller.signal })) dispatch(event)
 *   })()
 *   return () => controller.abort()
 * }, [url])
 * ```
 */
export function foldTurnEvent(view: TurnView, event: TurnEvent): TurnView {
  if (event.seq <= view.lastSeq) return view
  const gap = view.gap || event.seq > view.lastSeq + 1
  const base: TurnView = { ...view, lastSeq: event.seq, gap }
  switch (event.type) {
    case 'start':
      // A second start is a new run of the message: what was shown is replaced.
      return {
        ...initialTurnView,
        status: 'running',
        sessionId: event.sessionId,
        lastSeq: event.seq,
        gap: view.lastSeq === 0 ? event.seq > 1 : false,
      }
    case 'restart':
      return {
        ...initialTurnView,
        status: view.status === 'waiting' ? 'waiting' : 'running',
        sessionId: view.sessionId,
        lastSeq: event.seq,
      }
    case 'text-delta':
    case 'reasoning-delta': {
      const kind: 'text' | 'reasoning' = event.type === 'text-delta' ? 'text' : 'reasoning'
      const index = view.parts.findIndex((p) => p.id === event.partId && p.kind === kind)
      const current = view.parts[index]
      const parts =
        current && current.kind !== 'tool'
          ? replaceAt(view.parts, index, { ...current, text: current.text + event.text })
          : [...view.parts, { kind, id: event.partId, text: event.text } as TurnViewPart]
      return { ...base, status: running(view), parts }
    }
    case 'tool': {
      const index = view.parts.findIndex((p) => p.id === event.partId && p.kind === 'tool')
      const part: TurnViewPart = { kind: 'tool', id: event.partId, tool: event.tool }
      const parts = index === -1 ? [...view.parts, part] : replaceAt(view.parts, index, part)
      return { ...base, status: running(view), parts }
    }
    case 'todos':
      return { ...base, todos: event.todos }
    case 'permission':
    case 'question': {
      const index = view.requests.findIndex((r) => r.request.id === event.request.id)
      const entry: TurnViewRequest = { request: event.request, status: 'pending' }
      const requests = index === -1 ? [...view.requests, entry] : replaceAt(view.requests, index, entry)
      return { ...base, requests }
    }
    case 'request-resolved': {
      const index = view.requests.findIndex((r) => r.request.id === event.requestId)
      const current = view.requests[index]
      if (!current) return base
      const resolved: TurnViewRequest = { ...current, status: event.resolution }
      if (event.answer !== undefined) resolved.answer = event.answer
      return { ...base, requests: replaceAt(view.requests, index, resolved) }
    }
    case 'retry':
      return {
        ...base,
        retry: {
          attempt: event.attempt,
          message: event.message,
          ...(event.nextAt === undefined ? {} : { nextAt: event.nextAt }),
        },
      }
    case 'finish': {
      let parts = view.parts
      if (gap && event.content !== null) {
        // Some streamed text is missing: the stored content is the reply.
        parts = [
          ...parts.filter((p) => p.kind !== 'text'),
          { kind: 'text', id: 'content', text: event.content },
        ]
      }
      return {
        ...base,
        status: event.status,
        parts,
        retry: null,
        content: event.content,
        usage: event.usage,
        error: event.error ?? null,
        requests: view.requests.map((r) => (r.status === 'pending' ? { ...r, status: 'expired' } : r)),
      }
    }
    default:
      return base // a newer event type this version does not know: skipped
  }
}

const running = (view: TurnView): TurnView['status'] => (view.status === 'waiting' ? 'running' : view.status)

function replaceAt<T>(items: readonly T[], index: number, item: T): T[] {
  const copy = items.slice()
  copy[index] = item
  return copy
}
