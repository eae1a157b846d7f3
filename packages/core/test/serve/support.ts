import type { TurnEvent } from '../../src/index.js'

/** A turn of `deltas` text deltas between a start and a finish (seq 1 … deltas + 2). */
export function turnEvents(deltas: number, messageId = 'm1'): TurnEvent[] {
  const events: TurnEvent[] = [
    { type: 'start', seq: 1, version: 1, messageId, sessionId: 'ses_1', created: true },
  ]
  for (let i = 0; i < deltas; i++)
    events.push({ type: 'text-delta', seq: i + 2, partId: 'prt_1', text: `w${i} ` })
  events.push({
    type: 'finish',
    seq: deltas + 2,
    status: 'completed',
    content: Array.from({ length: deltas }, (_, i) => `w${i} `).join(''),
    usage: {
      cost: 0,
      inputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    },
  })
  return events
}

/** The SSE frames `turnEventResponse` writes for `events`. */
export const framesOf = (events: TurnEvent[]): string =>
  events.map((e) => `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`).join('')

/**
 * An event source the test feeds by hand, recording whether its iterator was released
 * (`return()`) and how many events were pulled from it.
 */
export function channel() {
  const queue: TurnEvent[] = []
  let waiting: ((result: IteratorResult<TurnEvent>) => void) | undefined
  const state = { returned: false, pulled: 0, ended: false }
  const iterator: AsyncIterableIterator<TurnEvent> = {
    next() {
      const event = queue.shift()
      if (event) {
        state.pulled++
        return Promise.resolve({ value: event, done: false })
      }
      if (state.ended || state.returned) return Promise.resolve({ value: undefined, done: true })
      return new Promise((resolve) => {
        waiting = (result) => {
          if (!result.done) state.pulled++
          resolve(result)
        }
      })
    },
    return() {
      state.returned = true
      waiting?.({ value: undefined, done: true })
      waiting = undefined
      return Promise.resolve({ value: undefined, done: true })
    },
    [Symbol.asyncIterator]() {
      return iterator
    },
  }
  return {
    iterator,
    state,
    push(...events: TurnEvent[]) {
      for (const event of events) {
        const wake = waiting
        waiting = undefined
        if (wake) wake({ value: event, done: false })
        else queue.push(event)
      }
    },
    end() {
      state.ended = true
      waiting?.({ value: undefined, done: true })
      waiting = undefined
    },
  }
}

/** Read a response body chunk by chunk as text. */
export function textReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  return {
    reader,
    async next(): Promise<string | undefined> {
      const { value, done } = await reader.read()
      return done ? undefined : decoder.decode(value)
    },
  }
}
