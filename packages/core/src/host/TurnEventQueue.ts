import { InvalidArgumentError } from '../wire/errors.js'
import type { TurnEvent } from './TurnEvent.js'

/** Events that describe the reply's state: a snapshot can stand in for them. */
const STATEFUL = new Set<TurnEvent['type']>([
  'text-delta',
  'reasoning-delta',
  'tool',
  'todos',
  'question',
  'permission',
])

/** Default bound of buffered events (see {@link TurnEvent}). */
export const MAX_BUFFERED_EVENTS = 1000

type Waiter = (result: IteratorResult<TurnEvent>) => void

/**
 * The buffer between a running turn and the one consumer of `turn.events`. `push` never blocks
 * and never throws; a waiting consumer gets the event at once, otherwise it waits in the buffer
 * where adjacent events of one part merge, and past `maxBuffered` events (beyond the last
 * snapshot) the buffer is replaced by a snapshot (`restart` `compacted` when the consumer already saw part of the reply). `seq` is given
 * on delivery, so the consumer sees 1, 2, 3… whatever was merged.
 */
export class TurnEventQueue implements AsyncIterable<TurnEvent> {
  private buffer: TurnEvent[] = []
  private seq = 0
  private waiter: Waiter | undefined
  private closed = false
  private iterated = false
  private detached = false
  /** True once a stateful event reached the consumer: a compaction must then tell it to reset. */
  private deliveredState = false
  /** Buffer length that triggers a compaction: the bound, above the last snapshot's size. */
  private limit: number

  constructor(
    /** The events that rebuild the reply's current state from nothing. */
    private readonly snapshot: () => TurnEvent[],
    private readonly maxBuffered = MAX_BUFFERED_EVENTS,
  ) {
    this.limit = maxBuffered
  }

  /** Queue an event (its `seq` is set on delivery; ignored after `close` or once the consumer stopped). */
  push(event: TurnEvent): void {
    if (this.closed || this.detached) return
    if (this.waiter && this.buffer.length === 0) {
      this.deliver(event)
      return
    }
    if (event.type === 'restart') this.dropStateBeforeRestart()
    else if (this.merge(event)) return
    if (this.buffer.length >= this.limit && STATEFUL.has(event.type)) {
      this.compact() // the snapshot already holds this event's change
      return
    }
    this.buffer.push(event)
  }

  /** No more events: the consumer drains what is buffered, then its loop ends. */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.waiter && this.buffer.length === 0) {
      const waiter = this.waiter
      this.waiter = undefined
      waiter({ done: true, value: undefined })
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<TurnEvent> {
    if (this.iterated) throw new InvalidArgumentError('turn.events can be iterated once')
    this.iterated = true
    return {
      next: () => {
        const event = this.buffer.shift()
        if (event) return Promise.resolve({ done: false, value: this.stamp(event) })
        if (this.closed || this.detached) return Promise.resolve({ done: true, value: undefined })
        return new Promise<IteratorResult<TurnEvent>>((resolve) => {
          this.waiter = resolve
        })
      },
      return: () => {
        // The consumer stopped (a `break`): stop buffering; the turn goes on.
        this.detached = true
        this.buffer = []
        this.waiter = undefined
        return Promise.resolve({ done: true, value: undefined })
      },
    }
  }

  private deliver(event: TurnEvent): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.({ done: false, value: this.stamp(event) })
  }

  private stamp(event: TurnEvent): TurnEvent {
    event.seq = ++this.seq
    if (STATEFUL.has(event.type)) this.deliveredState = true
    return event
  }

  /** Merge `event` into the last buffered one when it only continues or replaces it. */
  private merge(event: TurnEvent): boolean {
    const last = this.buffer[this.buffer.length - 1]
    if (!last || last.type !== event.type) return false
    switch (event.type) {
      case 'text-delta':
      case 'reasoning-delta': {
        const previous = last as typeof event
        if (previous.partId !== event.partId) return false
        previous.text += event.text
        return true
      }
      case 'tool': {
        const previous = last as typeof event
        if (previous.partId !== event.partId) return false
        previous.tool = event.tool
        return true
      }
      case 'todos':
        ;(last as typeof event).todos = event.todos
        return true
      case 'retry':
        this.buffer[this.buffer.length - 1] = event
        return true
      default:
        return false
    }
  }

  /** A restart resets the view: state events still waiting before it would be drawn and erased. */
  private dropStateBeforeRestart(): void {
    this.buffer = this.buffer.filter((event) => !STATEFUL.has(event.type))
  }

  private compact(): void {
    const kept = this.buffer.filter((event) => !STATEFUL.has(event.type) && event.type !== 'restart')
    const restart: TurnEvent[] = this.deliveredState ? [{ type: 'restart', seq: 0, reason: 'compacted' }] : []
    this.buffer = [...kept, ...restart, ...this.snapshot()]
    // The snapshot is one copy of the reply: the bound applies to what comes after it.
    this.limit = this.buffer.length + this.maxBuffered
  }
}
