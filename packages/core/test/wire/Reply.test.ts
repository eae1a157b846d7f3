// wire-client.md §3: one test per row of the Reply table, the members, and design.md defects 3, 6 and 8.
import { describe, expect, it, vi } from 'vitest'
import type { OpencodeEvent } from '../../src/index.js'
import { ManualClock } from '../../src/testing/ManualClock.js'
import { appendText, textLength } from '../../src/wire/appendText.js'
import {
  Reply,
  type ReplyObserver,
  type ReplyPart,
  type TextPart,
  type ToolPartRecord,
} from '../../src/wire/index.js'
import { isStreamOnlyPart } from '../../src/wire/streamOnlyParts.js'

const S = 'ses_1'
const ev = (type: string, properties: Record<string, unknown>): OpencodeEvent => ({
  type,
  properties: { sessionID: S, ...properties },
})
const message = (id: string, role: 'user' | 'assistant', extra: Record<string, unknown> = {}) =>
  ev('message.updated', { info: { id, sessionID: S, role, ...extra } })
const part = (p: Record<string, unknown>) =>
  ev('message.part.updated', { part: { sessionID: S, messageID: 'msg_a', ...p } })
const deltaOf = (partID: string, delta: string, field = 'text', messageID = 'msg_a') =>
  ev('message.part.delta', { messageID, partID, field, delta })
const tool = (id: string, toolName: string, state: Record<string, unknown>, callID = `call_${id}`) =>
  part({ id, type: 'tool', tool: toolName, callID, state })

/** A Reply with a recording observer. */
const recorded = (options: { clock?: ManualClock } = {}) => {
  const reply = new Reply(options)
  const calls: Array<[string, unknown]> = []
  const names: Array<keyof ReplyObserver> = [
    'partAdded',
    'partChanged',
    'partFinalized',
    'toolProgressed',
    'stepFinished',
    'sessionRetried',
    'sessionErrored',
    'messageUpdated',
    'todosChanged',
    'questionAsked',
    'questionReplied',
    'questionRejected',
    'permissionAsked',
    'permissionReplied',
  ]
  const observer: ReplyObserver = {}
  for (const name of names)
    (observer as Record<string, (arg: unknown) => void>)[name] = (arg) =>
      calls.push([name, structuredClone(arg)])
  reply.addObserver(observer)
  const named = (name: string) => calls.filter(([n]) => n === name).map(([, arg]) => arg)
  return { reply, calls, named }
}

describe('Reply §3 table: message.part.delta', () => {
  it('§3 row message.part.delta: appends to the part, notifies partChanged {part, index, delta}, sets firstTextSeen', () => {
    const { reply, named } = recorded()
    reply.apply(part({ id: 'prt_1', type: 'text', text: '' }))
    reply.apply(deltaOf('prt_1', 'Hel'))
    reply.apply(deltaOf('prt_1', 'lo'))
    expect(reply.parts).toEqual([{ type: 'text', content: 'Hello' }])
    expect(named('partChanged')).toEqual([
      { part: { type: 'text', content: 'Hel' }, index: 0, delta: 'Hel' },
      { part: { type: 'text', content: 'Hello' }, index: 0, delta: 'lo' },
    ])
    expect(reply.firstTextSeen).toBe(true)
  })

  it('§3 row message.part.delta: an unknown partID appends a part with empty content first (partAdded)', () => {
    const { reply, named } = recorded()
    reply.apply(deltaOf('prt_new', 'x'))
    expect(named('partAdded')).toEqual([{ part: { type: 'text', content: '' }, index: 0 }])
    expect(reply.parts).toEqual([{ type: 'text', content: 'x' }])
  })

  it('§3 row message.part.delta: the type comes from an earlier part.updated — reasoning deltas say field "text"', () => {
    const { reply } = recorded()
    reply.apply(part({ id: 'prt_r', type: 'reasoning', text: '' }))
    reply.apply(deltaOf('prt_r', 'thinking', 'text'))
    expect(reply.parts).toEqual([{ type: 'reasoning', content: 'thinking' }])
    expect(reply.firstTextSeen).toBe(false)
    expect(reply.result.reasoningText).toBe('thinking')
  })

  it('§3 row message.part.delta: without an announcement the type comes from the field', () => {
    const { reply } = recorded()
    reply.apply(deltaOf('prt_r', 'hmm', 'reasoning'))
    expect(reply.parts).toEqual([{ type: 'reasoning', content: 'hmm' }])
  })

  it('§3 row message.part.delta: other fields and empty deltas are ignored', () => {
    const { reply, calls } = recorded()
    reply.apply(deltaOf('prt_1', 'x', 'output'))
    reply.apply(deltaOf('prt_1', ''))
    reply.apply(ev('message.part.delta', { partID: 'prt_1', field: 'text', delta: 42 }))
    expect(reply.parts).toEqual([])
    expect(calls).toEqual([])
  })
})

describe('Reply §3 table: message.part.updated', () => {
  it('§3 row message.part.updated step-finish: adds cost, tokens.input, tokens.output; notifies stepFinished {cost, tokens}', () => {
    const { reply, named } = recorded()
    const tokens = { total: 15, input: 10, output: 5, reasoning: 0, cache: { read: 0, write: 0 } }
    reply.apply(part({ id: 'prt_sf1', type: 'step-finish', reason: 'tool-calls', cost: 0.25, tokens }))
    reply.apply(
      part({
        id: 'prt_sf2',
        type: 'step-finish',
        reason: 'stop',
        cost: 0.5,
        tokens: { input: 1, output: 2 },
      }),
    )
    expect(reply.totalCost).toBe(0.75)
    expect(reply.totalInputTokens).toBe(11)
    expect(reply.totalOutputTokens).toBe(7)
    expect(named('stepFinished')).toEqual([
      { cost: 0.25, tokens },
      { cost: 0.5, tokens: { input: 1, output: 2 } },
    ])
    expect(reply.parts).toEqual([]) // step parts are not reply parts
  })

  it('§3 row message.part.updated step-finish: a repeated update of the same step is counted once', () => {
    const { reply } = recorded()
    const step = part({ id: 'prt_sf', type: 'step-finish', cost: 1, tokens: { input: 1, output: 1 } })
    reply.apply(step)
    reply.apply(step)
    expect(reply.totalCost).toBe(1)
  })

  it('§3 row message.part.updated text: known id with a differing non-blank text replaces the content (tail-drop repair) and notifies partFinalized', () => {
    const { reply, named } = recorded()
    reply.apply(part({ id: 'prt_1', type: 'text', text: '' }))
    reply.apply(deltaOf('prt_1', 'Hello wor'))
    reply.apply(part({ id: 'prt_1', type: 'text', text: 'Hello world', time: { end: 1 } }))
    expect(reply.parts).toEqual([{ type: 'text', content: 'Hello world' }])
    expect(named('partFinalized')).toEqual([{ part: { type: 'text', content: 'Hello world' }, index: 0 }])
  })

  it('§3 row message.part.updated text: a blank final text never erases streamed content', () => {
    const { reply } = recorded()
    reply.apply(deltaOf('prt_1', 'kept'))
    reply.apply(part({ id: 'prt_1', type: 'text', text: '   ' }))
    expect(reply.parts).toEqual([{ type: 'text', content: 'kept' }])
  })

  it('§3 row message.part.updated text: an unknown id with non-blank text is appended whole', () => {
    const { reply, named } = recorded()
    reply.apply(part({ id: 'prt_9', type: 'text', text: 'All at once' }))
    expect(reply.parts).toEqual([{ type: 'text', content: 'All at once' }])
    expect(named('partAdded')).toHaveLength(1)
    expect(reply.firstTextSeen).toBe(true)
  })

  it('§3 row message.part.updated text: an unknown id with blank text only remembers the type (no part yet)', () => {
    const { reply, calls } = recorded()
    reply.apply(part({ id: 'prt_1', type: 'text', text: '' }))
    expect(reply.parts).toEqual([])
    expect(calls).toEqual([])
  })

  it('§3 row message.part.updated reasoning: finalized like text, kept out of fullText', () => {
    const { reply } = recorded()
    reply.apply(part({ id: 'prt_r', type: 'reasoning', text: '' }))
    reply.apply(deltaOf('prt_r', 'Let me'))
    reply.apply(part({ id: 'prt_r', type: 'reasoning', text: 'Let me think.' }))
    reply.apply(part({ id: 'prt_t', type: 'text', text: 'Answer' }))
    expect(reply.result).toMatchObject({ reasoningText: 'Let me think.', fullText: 'Answer' })
  })

  it('§3 row message.part.updated tool: first sight appends {type:"tool", tool, status}; later updates merge state (wire field names); toolProgressed {part, index, status, raw}', () => {
    const { reply, named } = recorded()
    const pending = tool('prt_w', 'write', { status: 'pending', input: {} })
    reply.apply(pending)
    reply.apply(
      tool('prt_w', 'write', {
        status: 'running',
        input: { filePath: '/tmp/a.md', content: '# A' },
        title: 'a.md',
      }),
    )
    reply.apply(
      tool('prt_w', 'write', {
        status: 'completed',
        input: { filePath: '/tmp/a.md', content: '# A' },
        output: 'Wrote file successfully.',
        title: 'a.md',
        metadata: { exists: false },
      }),
    )
    const expected: ToolPartRecord = {
      type: 'tool',
      tool: 'write',
      status: 'completed',
      input: { filePath: '/tmp/a.md', content: '# A' },
      output: 'Wrote file successfully.',
      title: 'a.md',
      metadata: { exists: false },
      callID: 'call_prt_w',
      messageID: 'msg_a',
    }
    expect(reply.parts).toEqual([expected])
    expect(named('partAdded')).toEqual([
      { part: { type: 'tool', tool: 'write', status: 'pending' }, index: 0 },
    ])
    expect(named('toolProgressed').map((c) => (c as { status: string }).status)).toEqual([
      'pending',
      'running',
      'completed',
    ])
    expect(named('toolProgressed')[0]).toMatchObject({ index: 0, raw: pending.properties.part as object })
    expect(reply.toolCount).toBe(1)
    expect(reply.result.toolParts).toEqual([expected])
  })

  it('§3 row message.part.updated tool: an error state keeps the error truncated to 200 characters', () => {
    const { reply } = recorded()
    reply.apply(
      tool('prt_b', 'bash', { status: 'error', error: 'E'.repeat(500), input: { command: 'false' } }),
    )
    const stored = reply.parts[0] as ToolPartRecord
    expect(stored.status).toBe('error')
    expect(stored.error).toHaveLength(200)
    expect(stored.error?.endsWith('...')).toBe(true)
    expect(reply.result.toolParts).toHaveLength(1)
  })

  it('§3 row message.part.updated: other part types (step-start, patch, file) are ignored', () => {
    const { reply, calls } = recorded()
    reply.apply(part({ id: 'prt_s', type: 'step-start' }))
    reply.apply(part({ id: 'prt_p', type: 'patch', files: ['a.md'] }))
    reply.apply(part({ id: 'prt_f', type: 'file', url: 'x' }))
    expect(reply.parts).toEqual([])
    expect(calls).toEqual([])
  })
})

describe('Reply §3 table: other events', () => {
  it('§3 row message.updated: stores info; notifies messageUpdated {info}', () => {
    const { reply, named } = recorded()
    reply.apply(message('msg_a', 'assistant', { cost: 0.1, finish: 'stop' }))
    expect(reply.info).toEqual({ id: 'msg_a', sessionID: S, role: 'assistant', cost: 0.1, finish: 'stop' })
    expect(named('messageUpdated')).toEqual([{ info: reply.info }])
  })

  it('§3 row session.status retry: notifies sessionRetried {attempt, message}', () => {
    const { reply, named } = recorded()
    reply.apply(
      ev('session.status', {
        status: { type: 'retry', attempt: 2, message: 'Internal Server Error', next: 1 },
      }),
    )
    reply.apply(ev('session.status', { status: { type: 'busy' } }))
    expect(named('sessionRetried')).toEqual([{ attempt: 2, message: 'Internal Server Error' }])
  })

  it('§3 row session.error: text "<name>: <data.message>", blank pieces dropped; notifies sessionErrored {text, raw}', () => {
    const { reply, named } = recorded()
    const apiError = ev('session.error', {
      error: { name: 'APIError', data: { message: 'Bad Request: model x', statusCode: 400 } },
    })
    reply.apply(apiError)
    reply.apply(ev('session.error', { error: { name: 'MessageAbortedError', data: { message: '' } } }))
    reply.apply(ev('session.error', { error: { data: { message: 'only a message' } } }))
    reply.apply(ev('session.error', {}))
    expect(named('sessionErrored')).toEqual([
      { text: 'APIError: Bad Request: model x', raw: apiError },
      expect.objectContaining({ text: 'MessageAbortedError' }),
      expect.objectContaining({ text: 'only a message' }),
      expect.objectContaining({ text: '' }),
    ])
  })

  it('§3 row todo.updated: without a todo tool part, appends a stream-only todowrite part (status defaults completed); todosChanged gets the raw todos', () => {
    const { reply, named } = recorded()
    const todos = [
      { id: '1', content: 'Plan', status: 'in-progress', priority: 'high' },
      { id: '2', content: 'Ship', status: 'pending', priority: 'low' },
    ]
    reply.apply(ev('todo.updated', { todos }))
    expect(named('todosChanged')).toEqual([{ todos }])
    const stored = reply.parts[0] as ToolPartRecord
    expect(stored).toEqual({
      type: 'tool',
      tool: 'todowrite',
      status: 'completed',
      input: { todos: [{ ...todos[0], status: 'in_progress' }, todos[1]] },
      metadata: { source: 'todo.updated' },
    })
    expect(isStreamOnlyPart(stored)).toBe(true)
    expect(named('toolProgressed')).toHaveLength(1)
    // A second update reuses the same part.
    reply.apply(ev('todo.updated', { todos: [{ ...todos[0], status: 'completed' }] }))
    expect(reply.parts).toHaveLength(1)
    expect((reply.parts[0] as ToolPartRecord).input?.todos).toEqual([{ ...todos[0], status: 'completed' }])
  })

  it('§3 row todo.updated: an existing todowrite/todoread tool part gets input.todos and toolProgressed', () => {
    const { reply, named } = recorded()
    reply.apply(tool('prt_td', 'todowrite', { status: 'running', input: { todos: [] } }))
    reply.apply(ev('todo.updated', { todos: [{ id: '1', content: 'A', status: 'in-progress' }] }))
    expect(reply.parts).toHaveLength(1)
    expect((reply.parts[0] as ToolPartRecord).input).toEqual({
      todos: [{ id: '1', content: 'A', status: 'in_progress' }],
    })
    expect(named('toolProgressed')).toHaveLength(2)
  })

  it('§3 row question.asked: needs a string id; records the prompt; merges {questions, opencode_*} into the matching question tool part (before or after it appears); questionAsked', () => {
    const { reply, named } = recorded()
    const questions = [{ question: 'Proceed?', options: [{ label: 'Yes' }] }]
    reply.apply(ev('question.asked', { questions })) // no id: ignored
    expect(reply.promptBlocked).toBe(false)
    // Asked before the tool part appears.
    reply.apply(
      ev('question.asked', { id: 'que_1', questions, tool: { messageID: 'msg_a', callID: 'call_q1' } }),
    )
    expect(reply.promptBlocked).toBe(true)
    reply.apply(tool('prt_q1', 'question', { status: 'running', input: { questions } }, 'call_q1'))
    expect((reply.parts[0] as ToolPartRecord).input).toEqual({
      questions,
      opencode_request_id: 'que_1',
      opencode_message_id: 'msg_a',
      opencode_call_id: 'call_q1',
    })
    // Tool part first, then the question.
    reply.apply(tool('prt_q2', 'question', { status: 'running', input: { questions } }, 'call_q2'))
    reply.apply(
      ev('question.asked', { id: 'que_2', questions, tool: { messageID: 'msg_a', callID: 'call_q2' } }),
    )
    expect((reply.parts[1] as ToolPartRecord).input).toMatchObject({ opencode_request_id: 'que_2' })
    expect(named('questionAsked')).toHaveLength(2)
    expect(named('questionAsked')[0]).toMatchObject({
      request: { kind: 'question', requestId: 'que_1', callId: 'call_q1' },
    })
  })

  it('§3 row question.replied / question.rejected: resolve in Prompts (with askedAt); notify questionReplied {requestId, answers, askedAt} / questionRejected', async () => {
    const clock = new ManualClock(1_000)
    const { reply, named } = recorded({ clock })
    reply.apply(ev('question.asked', { id: 'que_1', questions: [] }))
    reply.apply(ev('question.asked', { id: 'que_2', questions: [] }))
    await clock.advance(500)
    reply.apply(ev('question.replied', { requestID: 'que_1', answers: [['Yes']] }))
    expect(reply.promptBlocked).toBe(true)
    reply.apply(ev('question.rejected', { requestID: 'que_2' }))
    expect(reply.promptBlocked).toBe(false)
    expect(named('questionReplied')).toEqual([
      expect.objectContaining({ requestId: 'que_1', answers: [['Yes']], askedAt: 1_000 }),
    ])
    expect(named('questionRejected')).toEqual([
      expect.objectContaining({ requestId: 'que_2', askedAt: 1_000 }),
    ])
  })

  it('§3 row permission.asked / permission.replied: record / resolve in Prompts; notify permissionAsked / permissionReplied {requestId, reply, askedAt}', () => {
    const clock = new ManualClock(42)
    const { reply, named } = recorded({ clock })
    const asked = ev('permission.asked', {
      id: 'per_1',
      permission: 'bash',
      patterns: ['echo step1'],
      always: ['echo *'],
      metadata: { command: 'echo step1' },
      tool: { messageID: 'msg_a', callID: 'call_1' },
    })
    reply.apply(asked)
    expect(reply.promptBlocked).toBe(true)
    expect(reply.prompts.findByCall('msg_a', 'call_1')?.requestId).toBe('per_1')
    expect(named('permissionAsked')).toEqual([
      {
        request: expect.objectContaining({ kind: 'permission', requestId: 'per_1', askedAt: 42 }),
        raw: asked,
      },
    ])
    reply.apply(ev('permission.replied', { requestID: 'per_1', reply: 'once' }))
    expect(reply.promptBlocked).toBe(false)
    expect(named('permissionReplied')).toEqual([
      expect.objectContaining({ requestId: 'per_1', reply: 'once', askedAt: 42 }),
    ])
  })

  it('§3 row anything else: unknown events (and junk) are ignored — new server events never break a stream', () => {
    const { reply, calls } = recorded()
    for (const type of ['session.diff', 'file.edited', 'lsp.updated', 'server.heartbeat', 'session.created'])
      reply.apply(ev(type, { whatever: [1, 2, 3] }))
    reply.apply({
      type: 'message.part.updated',
      properties: { part: 'not an object' },
    } as unknown as OpencodeEvent)
    reply.apply({ type: 'message.updated' } as unknown as OpencodeEvent)
    reply.apply(null as unknown as OpencodeEvent)
    expect(reply.parts).toEqual([])
    expect(calls).toEqual([])
  })
})

describe('Reply members (wire-client §3)', () => {
  it('promptBlocked: any pending question or permission', () => {
    const reply = new Reply()
    expect(reply.promptBlocked).toBe(false)
    reply.apply(ev('permission.asked', { id: 'per_1', permission: 'bash' }))
    reply.apply(ev('question.asked', { id: 'que_1', questions: [] }))
    reply.apply(ev('permission.replied', { requestID: 'per_1', reply: 'once' }))
    expect(reply.promptBlocked).toBe(true)
    reply.apply(ev('question.replied', { requestID: 'que_1', answers: [] }))
    expect(reply.promptBlocked).toBe(false)
  })

  it('toolCount: the number of tool parts (any status)', () => {
    const reply = new Reply()
    reply.apply(tool('prt_1', 'bash', { status: 'pending' }))
    reply.apply(part({ id: 'prt_t', type: 'text', text: 'hi' }))
    reply.apply(tool('prt_2', 'read', { status: 'completed' }))
    expect(reply.toolCount).toBe(2)
  })

  it('distill(parts): fullText and reasoningText joined by a blank line; toolParts = completed or error; parts = the parts', () => {
    const parts: ReplyPart[] = [
      { type: 'reasoning', content: 'r1' },
      { type: 'text', content: 'A' },
      { type: 'tool', tool: 'bash', status: 'running' },
      { type: 'tool', tool: 'bash', status: 'completed' },
      { type: 'tool', tool: 'bash', status: 'error', error: 'x' },
      { type: 'text', content: 'B' },
      { type: 'reasoning', content: 'r2' },
    ]
    expect(Reply.distill(parts)).toEqual({
      parts: parts,
      fullText: 'A\n\nB',
      reasoningText: 'r1\n\nr2',
      toolParts: [parts[3], parts[4]],
    })
  })

  it('result: the distilled parts so far', () => {
    const reply = new Reply()
    reply.apply(deltaOf('prt_1', 'hi'))
    expect(reply.result).toEqual({
      parts: [{ type: 'text', content: 'hi' }],
      fullText: 'hi',
      reasoningText: '',
      toolParts: [],
    })
  })

  it('replaceParts: a clean slate — clears id maps, totals and firstTextSeen; no notifications', () => {
    const { reply, calls } = recorded()
    reply.apply(deltaOf('prt_1', 'old'))
    reply.apply(part({ id: 'prt_sf', type: 'step-finish', cost: 1, tokens: { input: 5, output: 5 } }))
    calls.length = 0
    reply.replaceParts([{ type: 'text', content: 'new' }])
    expect(calls).toEqual([])
    expect(reply.parts).toEqual([{ type: 'text', content: 'new' }])
    expect([reply.totalCost, reply.totalInputTokens, reply.totalOutputTokens, reply.firstTextSeen]).toEqual([
      0,
      0,
      0,
      false,
    ])
    // The old part id no longer maps onto index 0: a late delta starts a new part.
    reply.apply(deltaOf('prt_1', 'late'))
    expect(reply.parts).toEqual([
      { type: 'text', content: 'new' },
      { type: 'text', content: 'late' },
    ])
  })

  it('syncRecoveredParts: by position; changed parts replaced (partFinalized / toolProgressed), new ones appended (partAdded); never deletes', () => {
    const { reply, named } = recorded()
    reply.apply(deltaOf('prt_1', 'Hel'))
    reply.apply(tool('prt_t', 'bash', { status: 'running' }))
    reply.apply(deltaOf('prt_3', 'tail'))
    const before = named('partAdded').length
    reply.syncRecoveredParts([
      { type: 'text', content: 'Hello' },
      { type: 'tool', tool: 'bash', status: 'completed', output: 'ok' },
    ])
    expect(reply.parts).toEqual([
      { type: 'text', content: 'Hello' },
      { type: 'tool', tool: 'bash', status: 'completed', output: 'ok' },
      { type: 'text', content: 'tail' },
    ])
    expect(named('partFinalized')).toEqual([{ part: { type: 'text', content: 'Hello' }, index: 0 }])
    expect(named('toolProgressed').at(-1)).toMatchObject({ index: 1, status: 'completed' })
    reply.syncRecoveredParts([
      { type: 'text', content: 'Hello' },
      { type: 'tool', tool: 'bash', status: 'completed', output: 'ok' },
      { type: 'text', content: 'tail' },
      { type: 'text', content: 'recovered' },
    ])
    expect(named('partAdded').length).toBe(before + 1)
    expect(reply.parts).toHaveLength(4)
  })

  it('syncRecoveredParts: a recovered text part sets firstTextSeen', () => {
    const reply = new Reply()
    reply.syncRecoveredParts([{ type: 'text', content: 'from the poll' }])
    expect(reply.firstTextSeen).toBe(true)
  })

  it('addObserver: every observer is notified, in registration order; observers implement any subset', () => {
    const reply = new Reply()
    const order: string[] = []
    reply.addObserver({ partChanged: () => order.push('first') })
    reply.addObserver({})
    reply.addObserver({ partChanged: () => order.push('second') })
    reply.apply(deltaOf('prt_1', 'x'))
    expect(order).toEqual(['first', 'second'])
  })

  it('parts are plain JSON objects (JSON round trip, structuredClone, spread)', () => {
    const reply = new Reply()
    reply.apply(part({ id: 'prt_1', type: 'text', text: '' }))
    for (const d of ['a', 'b', 'c']) reply.apply(deltaOf('prt_1', d))
    const [text] = reply.parts as TextPart[]
    expect(JSON.parse(JSON.stringify(reply.parts))).toEqual([{ type: 'text', content: 'abc' }])
    expect(structuredClone(text)).toEqual({ type: 'text', content: 'abc' })
    expect({ ...text }).toEqual({ type: 'text', content: 'abc' })
    expect(Object.keys(text as object)).toEqual(['type', 'content'])
  })

  it('text accumulation is linear in the number of deltas: every character is copied at most once while streaming', () => {
    const reply = new Reply()
    const join = vi.spyOn(Array.prototype, 'join')
    const n = 100_000
    for (let i = 0; i < n; i++) reply.apply(deltaOf('prt_1', 'x'))
    // Runs of small deltas are merged into blocks (fewer string headers); re-joining the whole
    // text per delta — the quadratic bug — would copy ~n²/2 characters here.
    const copied = join.mock.results.reduce((sum, r) => sum + String(r.value).length, 0)
    join.mockRestore()
    expect(copied).toBeLessThanOrEqual(n)
    const [text] = reply.parts as TextPart[]
    expect(textLength(text as TextPart)).toBe(n)
    expect(text?.content).toHaveLength(n)
    expect(reply.result.fullText).toHaveLength(n)
  })

  it('TextChunks: assigning content replaces the chunks; reads are cached until the next append', () => {
    const p: TextPart = { type: 'text', content: 'a' }
    appendText(p, 'b')
    expect(p.content).toBe('ab')
    p.content = 'reset'
    appendText(p, '!')
    expect(p.content).toBe('reset!')
    expect(p.content).toBe(p.content)
  })
})

describe('Reply on real-server shapes (design.md defects)', () => {
  it("defect 6: the user's own text part arrives on the stream and is NOT added to the assistant's text", () => {
    const reply = new Reply()
    reply.apply(message('msg_u', 'user'))
    reply.apply(part({ id: 'prt_u', messageID: 'msg_u', type: 'text', text: 'Write a haiku' }))
    reply.apply(message('msg_a', 'assistant'))
    reply.apply(part({ id: 'prt_a', type: 'text', text: '' }))
    reply.apply(deltaOf('prt_a', 'Autumn moon'))
    reply.apply(part({ id: 'prt_a', type: 'text', text: 'Autumn moon' }))
    // A late message.updated for the user message (seen at the end of real turns) changes nothing.
    reply.apply(message('msg_u', 'user', { time: { created: 1 } }))
    expect(reply.result.fullText).toBe('Autumn moon')
    expect(reply.info?.role).toBe('assistant')
  })

  it('defect 6: deltas of a user message are ignored too', () => {
    const reply = new Reply()
    reply.apply(message('msg_u', 'user'))
    reply.apply(deltaOf('prt_u', 'prompt text', 'text', 'msg_u'))
    expect(reply.parts).toEqual([])
  })

  it('defect 3: cost and tokens are summed over every step of a tool loop (one assistant message per step)', () => {
    const reply = new Reply()
    for (let step = 1; step <= 3; step++) {
      const messageID = `msg_a${step}`
      reply.apply(message(messageID, 'assistant', { finish: step < 3 ? 'tool-calls' : 'stop' }))
      reply.apply(part({ id: `prt_ss${step}`, messageID, type: 'step-start' }))
      if (step < 3)
        reply.apply(
          part({
            id: `prt_b${step}`,
            messageID,
            type: 'tool',
            tool: 'bash',
            callID: `c${step}`,
            state: { status: 'completed' },
          }),
        )
      else reply.apply(part({ id: 'prt_t', messageID, type: 'text', text: 'done' }))
      reply.apply(
        part({
          id: `prt_sf${step}`,
          messageID,
          type: 'step-finish',
          cost: 2e-5,
          tokens: { input: 10, output: 5 },
        }),
      )
    }
    expect(reply.totalCost).toBeCloseTo(6e-5, 12)
    expect(reply.totalInputTokens).toBe(30)
    expect(reply.totalOutputTokens).toBe(15)
    expect(reply.toolCount).toBe(2)
  })

  it('defect 8: a throwing observer is isolated and reported; other observers and the reply carry on', () => {
    const reports: Array<[unknown, unknown]> = []
    const reply = new Reply({ onError: (error, context) => reports.push([error, context]) })
    const boom = new Error('broadcast failed')
    const seen: string[] = []
    reply.addObserver({
      partChanged: () => {
        throw boom
      },
    })
    reply.addObserver({ partChanged: ({ delta }) => seen.push(delta) })
    expect(() => reply.apply(deltaOf('prt_1', 'a'))).not.toThrow()
    reply.apply(deltaOf('prt_1', 'b'))
    expect(reply.result.fullText).toBe('ab')
    expect(seen).toEqual(['a', 'b'])
    expect(reports).toHaveLength(2)
    expect(reports[0]).toEqual([
      boom,
      {
        handled: true,
        severity: 'warning',
        feature: 'opencode.reply',
        action: 'observer',
        observer: 'partChanged',
      },
    ])
  })

  it('defect 8: a throwing observer with a throwing onError hook still does not break the stream', () => {
    const console = vi.spyOn(globalThis.console, 'error').mockImplementation(() => {})
    const reply = new Reply({
      onError: () => {
        throw new Error('tracker down')
      },
    })
    reply.addObserver({
      stepFinished: () => {
        throw new Error('observer')
      },
    })
    expect(() => reply.apply(part({ id: 'prt_sf', type: 'step-finish', cost: 1, tokens: {} }))).not.toThrow()
    expect(reply.totalCost).toBe(1)
    expect(console).toHaveBeenCalled()
    console.mockRestore()
  })
})
