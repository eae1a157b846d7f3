import { type Reply, type ReplyPart, ToolDisplay } from '@opencode-kit/core'

/** What the browser receives over SSE for one assistant message. */
export type ChatEvent =
  | { type: 'text'; index: number; delta: string; reasoning: boolean }
  | { type: 'tool'; index: number; title: string; icon: string; status: string; gerund: string }
  | { type: 'todos'; todos: { content: string; status: string }[] }
  | { type: 'retry'; attempt?: number; message?: string }
  | {
      type: 'done'
      status: string
      content: string
      cost: number | null
      durationMs: number
      artifacts: { filename: string; size: number; url: string }[]
    }

/**
 * The live feed of one assistant message: a ReplyObserver turns Reply changes into small events,
 * buffered so a browser that connects (or reconnects) late replays everything it missed.
 */
export class ChatEvents {
  private readonly events: ChatEvent[] = []
  private readonly listeners = new Set<(event: ChatEvent) => void>()
  private finished = false

  /** Wire the feed to a turn's reply (Turn's `observe` option). */
  watch(reply: Reply): void {
    reply.addObserver({
      partChanged: ({ part, index, delta }) =>
        this.push({ type: 'text', index, delta, reasoning: part.type === 'reasoning' }),
      toolProgressed: ({ part, index }) => this.pushTool(part, index),
      todosChanged: ({ todos }) =>
        this.push({
          type: 'todos',
          todos: todos.map((todo) => ({
            content: String(todo.content ?? ''),
            status: String(todo.status ?? ''),
          })),
        }),
      sessionRetried: ({ attempt, message }) => this.push({ type: 'retry', attempt, message }),
    })
  }

  /** The terminal event; listeners are released after it. */
  finish(event: Extract<ChatEvent, { type: 'done' }>): void {
    this.push(event)
    this.finished = true
    this.listeners.clear()
  }

  /** Replay what happened so far, then follow. Returns the unsubscribe function. */
  subscribe(listener: (event: ChatEvent) => void): () => void {
    for (const event of this.events) listener(event)
    if (!this.finished) this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get done(): boolean {
    return this.finished
  }

  private pushTool(part: ReplyPart, index: number): void {
    const display = new ToolDisplay(part)
    if (display.canonicalTool === 'todowrite') return // shown as the todo list
    this.push({
      type: 'tool',
      index,
      title: display.title,
      icon: display.icon,
      status: display.status,
      gerund: display.gerund,
    })
  }

  private push(event: ChatEvent): void {
    this.events.push(event)
    for (const listener of this.listeners) listener(event)
  }
}
