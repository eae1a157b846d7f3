import type { TurnEvent } from '@opencode-kit/core'

/**
 * The live feed of one assistant message: the turn's own {@link TurnEvent}s, kept so a browser
 * that connects (or reconnects) late replays everything it missed, then follows.
 */
export class ChatEvents {
  private readonly events: TurnEvent[] = []
  private readonly listeners = new Set<(event: TurnEvent) => void>()
  private finished = false

  /** Pump a turn's events into the feed (runs until its `finish`). */
  async follow(events: AsyncIterable<TurnEvent>): Promise<void> {
    for await (const event of events) {
      this.events.push(event)
      for (const listener of this.listeners) listener(event)
    }
    this.finished = true
    this.listeners.clear()
  }

  /** Replay what happened so far, then follow. Returns the unsubscribe function. */
  subscribe(listener: (event: TurnEvent) => void): () => void {
    for (const event of this.events) listener(event)
    if (!this.finished) this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get done(): boolean {
    return this.finished
  }
}
