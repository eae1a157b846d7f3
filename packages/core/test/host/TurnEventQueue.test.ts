import { describe, expect, it } from 'vitest'
import { describeTool } from '../../src/host/describeTool.js'
import type { TurnEvent } from '../../src/host/TurnEvent.js'
import { TurnEventQueue } from '../../src/host/TurnEventQueue.js'

const tool = (status: string) =>
  describeTool({ type: 'tool', tool: 'bash', status, input: { command: 'ls' } })
const text = (partId: string, value: string): TurnEvent => ({
  type: 'text-delta',
  seq: 0,
  partId,
  text: value,
})
const toolEvent = (partId: string, status: string): TurnEvent => ({
  type: 'tool',
  seq: 0,
  partId,
  tool: tool(status),
})

/** The state a consumer builds from the events (text per part, tool status per part). */
function render(events: TurnEvent[]): Record<string, string> {
  let view: Record<string, string> = {}
  for (const event of events) {
    if (event.type === 'restart') view = {}
    if (event.type === 'text-delta') view[event.partId] = (view[event.partId] ?? '') + event.text
    if (event.type === 'tool') view[event.partId] = event.tool.status
  }
  return view
}

async function drain(queue: TurnEventQueue): Promise<TurnEvent[]> {
  const events: TurnEvent[] = []
  for await (const event of queue) events.push(event)
  return events
}

describe('TurnEventQueue: the bounded buffer behind turn.events', () => {
  it('adjacent deltas of one part merge while they wait; seq counts delivered events', async () => {
    const queue = new TurnEventQueue(() => [])
    queue.push(text('0', 'a'))
    queue.push(text('0', 'b'))
    queue.push(text('1', 'c'))
    queue.push(text('1', 'd'))
    queue.push(toolEvent('2', 'running'))
    queue.push(toolEvent('2', 'completed'))
    queue.close()
    const events = await drain(queue)
    expect(events).toEqual([
      { type: 'text-delta', seq: 1, partId: '0', text: 'ab' },
      { type: 'text-delta', seq: 2, partId: '1', text: 'cd' },
      { type: 'tool', seq: 3, partId: '2', tool: tool('completed') },
    ])
  })

  it('a consumer that never iterates holds at most the bound (plus a snapshot), whatever the turn produces', async () => {
    // The "reply" the snapshot draws from: 50 text parts and 50 tool parts, interleaved so that
    // nothing is adjacent to merge with.
    const state: Record<string, string> = {}
    const snapshot = (): TurnEvent[] =>
      Object.entries(state).map(([partId, value]) =>
        partId.startsWith('t') ? toolEvent(partId, value) : text(partId, value),
      )
    const queue = new TurnEventQueue(snapshot, 100)
    let largest = 0
    const buffered = () => (queue as unknown as { buffer: TurnEvent[] }).buffer.length
    for (let i = 0; i < 20_000; i++) {
      const part = String(i % 50)
      state[part] = `${state[part] ?? ''}x`
      queue.push(text(part, 'x'))
      const toolPart = `t${i % 50}`
      state[toolPart] = i % 3 === 0 ? 'completed' : 'running'
      queue.push(toolEvent(toolPart, state[toolPart] as string))
      largest = Math.max(largest, buffered())
    }
    queue.close()
    expect(largest).toBeLessThanOrEqual(100 + 100)
    const events = await drain(queue)
    // Nothing was delivered before the compaction: no restart is needed, and the view is exact.
    expect(events.some((e) => e.type === 'restart')).toBe(false)
    expect(render(events)).toEqual(state)
  })

  it('a consumer that fell behind after seeing part of the reply gets a compacted restart and an exact view', async () => {
    const state: Record<string, string> = {}
    const snapshot = (): TurnEvent[] => Object.entries(state).map(([partId, value]) => text(partId, value))
    const queue = new TurnEventQueue(snapshot, 10)
    const iterator = queue[Symbol.asyncIterator]()
    const seen: TurnEvent[] = []
    const pending = iterator.next()
    state['0'] = 'first'
    queue.push(text('0', 'first'))
    seen.push((await pending).value as TurnEvent)
    for (let i = 0; i < 1000; i++) {
      const part = String(i % 20)
      state[part] = `${state[part] ?? ''}${i},`
      queue.push(text(part, `${i},`))
    }
    queue.close()
    for (;;) {
      const next = await iterator.next()
      if (next.done) break
      seen.push(next.value)
    }
    expect(seen.filter((e) => e.type === 'restart')).toEqual([
      expect.objectContaining({ reason: 'compacted' }),
    ])
    expect(render(seen)).toEqual(state)
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1))
  })

  it('a restart drops the state events still waiting before it', async () => {
    const queue = new TurnEventQueue(() => [])
    queue.push({ type: 'start', seq: 0, version: 1, messageId: 1, sessionId: 'ses_1', created: false })
    queue.push(text('0', 'stale'))
    queue.push({ type: 'restart', seq: 0, reason: 'stream-recovered' })
    queue.push(text('0', 'fresh'))
    queue.close()
    expect((await drain(queue)).map((e) => e.type)).toEqual(['start', 'restart', 'text-delta'])
  })

  it('iterates once; a break stops buffering', async () => {
    const queue = new TurnEventQueue(() => [])
    queue.push(text('0', 'a'))
    for await (const _ of queue) break
    queue.push(text('0', 'b'))
    expect((queue as unknown as { buffer: TurnEvent[] }).buffer).toEqual([])
    expect(() => queue[Symbol.asyncIterator]()).toThrow(/iterated once/)
  })
})
