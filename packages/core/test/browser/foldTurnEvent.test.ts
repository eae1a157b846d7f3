import { describe, expect, it } from 'vitest'
import { foldTurnEvent, initialTurnView, type TurnEvent, type TurnView } from '../../src/browser/index.js'
import { turnEvents } from '../serve/support.js'

const fold = (events: TurnEvent[], view: TurnView = initialTurnView) => events.reduce(foldTurnEvent, view)
const usage = (turnEvents(0).at(-1) as Extract<TurnEvent, { type: 'finish' }>).usage
const tool = (status: 'running' | 'completed') => ({
  tool: 'write',
  name: 'write',
  provider: 'opencode-builtin',
  status,
  label: 'Write',
  title: 'Write: notes.md',
  activity: 'Writing',
  summary: 'Wrote notes.md',
  icon: 'file-pen',
  target: 'notes.md',
})
const permission = {
  kind: 'permission' as const,
  id: 'per_1',
  permission: 'bash',
  patterns: ['ls'],
  always: ['ls *'],
  metadata: {},
}

/** A turn with every kind of event, in seq order. */
const richTurn: TurnEvent[] = [
  { type: 'start', seq: 1, version: 1, messageId: 'm', sessionId: 'ses_1', created: false },
  { type: 'reasoning-delta', seq: 2, partId: 'r1', text: 'Let me ' },
  { type: 'reasoning-delta', seq: 3, partId: 'r1', text: 'think.' },
  { type: 'text-delta', seq: 4, partId: 't1', text: 'Writing ' },
  { type: 'tool', seq: 5, partId: 'w1', tool: tool('running') },
  { type: 'todos', seq: 6, todos: [{ content: 'write notes', status: 'in_progress' }] },
  { type: 'permission', seq: 7, request: permission },
  { type: 'request-resolved', seq: 8, requestId: 'per_1', resolution: 'answered', answer: 'once' },
  { type: 'retry', seq: 9, attempt: 1, message: 'rate limited', nextAt: 123 },
  { type: 'tool', seq: 10, partId: 'w1', tool: tool('completed') },
  { type: 'text-delta', seq: 11, partId: 't1', text: 'done.' },
  { type: 'finish', seq: 12, status: 'completed', content: 'Writing done.', usage },
]

describe('foldTurnEvent', () => {
  it('builds the view of a whole turn: parts in order, todos, requests, outcome', () => {
    const view = fold(richTurn)
    expect(view).toEqual({
      status: 'completed',
      sessionId: 'ses_1',
      parts: [
        { kind: 'reasoning', id: 'r1', text: 'Let me think.' },
        { kind: 'text', id: 't1', text: 'Writing done.' },
        { kind: 'tool', id: 'w1', tool: tool('completed') },
      ],
      todos: [{ content: 'write notes', status: 'in_progress' }],
      requests: [{ request: permission, status: 'answered', answer: 'once' }],
      retry: null,
      content: 'Writing done.',
      usage,
      error: null,
      lastSeq: 12,
      gap: false,
    })
  })

  it('is pure: the previous view is untouched, unchanged parts keep their identity', () => {
    const before = fold(richTurn.slice(0, 5))
    const snapshot = structuredClone(before)
    const after = foldTurnEvent(before, { type: 'text-delta', seq: 6, partId: 't1', text: '!' })
    expect(before).toEqual(snapshot)
    expect(after).not.toBe(before)
    expect(after.parts[0]).toBe(before.parts[0])
    expect(after.parts[2]).toBe(before.parts[2])
    expect(after.todos).toBe(before.todos)
  })

  it('ignores an event it already folded (a replay after a reconnect)', () => {
    const view = fold(richTurn.slice(0, 4))
    expect(foldTurnEvent(view, richTurn[3] as TurnEvent)).toBe(view)
    expect(fold(richTurn.slice(0, 4), view)).toBe(view)
  })

  it('resuming a kept view after its lastSeq gives the same view as folding everything', () => {
    for (let cut = 0; cut <= richTurn.length; cut++) {
      expect(fold(richTurn.slice(cut), fold(richTurn.slice(0, cut)))).toEqual(fold(richTurn))
    }
  })

  it('restart resets what was shown; the events after it rebuild the view', () => {
    const view = fold([
      ...richTurn.slice(0, 5),
      { type: 'restart', seq: 6, reason: 'session-recreated' },
      { type: 'text-delta', seq: 7, partId: 't9', text: 'Again.' },
    ])
    expect(view.parts).toEqual([{ kind: 'text', id: 't9', text: 'Again.' }])
    expect(view.status).toBe('running')
    expect(view.sessionId).toBe('ses_1')
  })

  it('a second start (a new run of the message) replaces the view', () => {
    const view = fold([
      ...richTurn.slice(0, 5),
      { type: 'start', seq: 6, version: 1, messageId: 'm', sessionId: 'ses_2', created: true },
    ])
    expect(view).toMatchObject({ status: 'running', sessionId: 'ses_2', parts: [], lastSeq: 6, gap: false })
  })

  it('a jump in seq marks a gap, and the finish then shows the stored content instead of the streamed text', () => {
    const view = fold([
      richTurn[0] as TurnEvent,
      { type: 'text-delta', seq: 2, partId: 't1', text: 'Writ' },
      { type: 'tool', seq: 5, partId: 'w1', tool: tool('completed') },
      { type: 'finish', seq: 12, status: 'completed', content: 'Writing done.', usage },
    ])
    expect(view.gap).toBe(true)
    expect(view.parts).toEqual([
      { kind: 'tool', id: 'w1', tool: tool('completed') },
      { kind: 'text', id: 'content', text: 'Writing done.' },
    ])
  })

  it('joining a trimmed log (first event after seq 1) is a gap too', () => {
    expect(fold(richTurn.slice(5)).gap).toBe(true)
    expect(fold(richTurn.slice(5)).parts.filter((p) => p.kind === 'text')).toEqual([
      { kind: 'text', id: 'content', text: 'Writing done.' },
    ])
  })

  it('the row-based ending (restart + finish) shows the stored content', () => {
    const view = fold(
      [
        { type: 'restart', seq: 5, reason: 'stream-recovered' },
        { type: 'finish', seq: 6, status: 'cancelled', content: 'Partial', usage },
      ],
      fold(richTurn.slice(0, 4)),
    )
    expect(view).toMatchObject({ status: 'cancelled', content: 'Partial', parts: [] })
  })

  it('a finish with an error carries it; pending requests expire with the turn', () => {
    const view = fold([
      ...richTurn.slice(0, 7),
      {
        type: 'finish',
        seq: 8,
        status: 'failed',
        content: null,
        usage,
        error: { name: 'TimeoutError', code: 'timeout', message: 'deadline' },
      },
    ])
    expect(view.status).toBe('failed')
    expect(view.error).toEqual({ name: 'TimeoutError', code: 'timeout', message: 'deadline' })
    expect(view.requests).toEqual([{ request: permission, status: 'expired' }])
  })

  it('skips an event type it does not know (a newer server), keeping its seq', () => {
    const view = foldTurnEvent(fold(richTurn.slice(0, 1)), {
      type: 'brand-new',
      seq: 2,
    } as unknown as TurnEvent)
    expect(view.lastSeq).toBe(2)
    expect(view.parts).toEqual([])
  })
})
