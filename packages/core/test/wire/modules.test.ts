// wire-client.md §4 (small modules), the final-exchange merge (§2), the SseDecoder extras and ManualClock.
import { describe, expect, it } from 'vitest'
import { Client, InvalidArgumentError, type OpencodeEvent } from '../../src/index.js'
import { ManualClock } from '../../src/testing/ManualClock.js'
import { canonicalTodo } from '../../src/wire/canonicalTodo.js'
import {
  FrameTooLargeError,
  isEventOfType,
  type OpencodeMessage,
  Prompts,
  Reply,
  type ReplyPart,
  SseDecoder,
  type WireClient,
  type WirePart,
} from '../../src/wire/index.js'
import {
  currentTurnAssistants,
  mergeFinalExchange,
  mergeStreamOnlyParts,
} from '../../src/wire/mergeFinalExchange.js'
import {
  extractArtifactsFromMessages,
  extractCacheTokens,
  extractCost,
  extractError,
  extractInterleavedParts,
  extractText,
  extractTokens,
  MAX_ARTIFACT_SIZE,
} from '../../src/wire/parseMessages.js'
import { isStreamOnlyPart, stampPartSource } from '../../src/wire/streamOnlyParts.js'
import { mergeToolState, toolPartOf } from '../../src/wire/toolParts.js'

const msg = (
  role: string,
  parts: Array<Record<string, unknown>>,
  info: Record<string, unknown> = {},
): OpencodeMessage => ({ info: { role, ...info }, parts }) as OpencodeMessage

describe('§4 ToolPart', () => {
  it('§4 ToolPart.fromMessagePart: canonical {type:"tool", tool, status, title?, input?, metadata?, output?}, blanks dropped', () => {
    const part = {
      type: 'tool',
      tool: 'bash',
      callID: 'c1',
      state: {
        status: 'completed',
        title: ' ',
        input: { command: 'ls' },
        metadata: {},
        output: 'a\nb',
        error: 'ignored',
      },
    } as WirePart
    expect(toolPartOf(part)).toEqual({
      type: 'tool',
      tool: 'bash',
      status: 'completed',
      input: { command: 'ls' },
      output: 'a\nb',
    })
  })

  it('§4 ToolPart.fromMessagePart: error only when status is error, truncated to 200 characters', () => {
    const part = {
      type: 'tool',
      tool: 'bash',
      state: { status: 'error', error: 'x'.repeat(300) },
    } as WirePart
    const record = toolPartOf(part)
    expect(record.error).toBe(`${'x'.repeat(197)}...`)
  })

  it('§4 ToolPart.mergeStreamingState: overwrites each present field; tool unless "invalid"; error truncated; callID, messageID', () => {
    const record = toolPartOf({
      type: 'tool',
      tool: 'write',
      state: { status: 'pending' },
    } as WirePart)
    mergeToolState(record, {
      type: 'tool',
      tool: 'invalid',
      callID: 'c9',
      messageID: 'msg_a',
      state: {
        status: 'error',
        error: 'e'.repeat(250),
        title: 'T',
        input: { a: 1 },
        metadata: { m: 1 },
        output: 'o',
      },
    } as WirePart)
    expect(record).toEqual({
      type: 'tool',
      tool: 'write',
      status: 'error',
      error: `${'e'.repeat(197)}...`,
      title: 'T',
      input: { a: 1 },
      metadata: { m: 1 },
      output: 'o',
      callID: 'c9',
      messageID: 'msg_a',
    })
    mergeToolState(record, { type: 'tool', tool: 'edit', state: {} } as WirePart)
    expect(record.tool).toBe('edit')
    expect(record.status).toBe('error') // absent fields are kept
  })
})

describe('§4 ResponseParser (pure)', () => {
  const assistant = msg(
    'assistant',
    [
      { type: 'step-start' },
      { type: 'reasoning', text: 'think' },
      { type: 'text', text: 'one' },
      { type: 'tool', tool: 'bash', state: { status: 'running' } },
      { type: 'tool', tool: 'bash', state: { status: 'completed', output: 'ok' } },
      { type: 'tool', tool: 'read', state: { status: 'error', error: 'nope' } },
      { type: 'patch', files: [] },
      { type: 'text', text: 'two' },
      { type: 'step-finish', cost: 1 },
    ],
    {
      cost: 0.5,
      tokens: { input: 3, output: 4, cache: { read: 7 } },
      error: {
        name: 'APIError',
        data: { message: 'm', statusCode: 429, isRetryable: true, metadata: { url: 'https://x' } },
      },
    },
  )

  it('§4 extractInterleavedParts: text, reasoning and terminal tool parts only, in order', () => {
    expect(extractInterleavedParts(assistant)).toEqual([
      { type: 'reasoning', content: 'think' },
      { type: 'text', content: 'one' },
      { type: 'tool', tool: 'bash', status: 'completed', output: 'ok' },
      { type: 'tool', tool: 'read', status: 'error', error: 'nope' },
      { type: 'text', content: 'two' },
    ])
    expect(extractInterleavedParts(undefined)).toEqual([])
  })

  it('§4 extractText: text parts joined by a blank line', () => {
    expect(extractText(assistant)).toBe('one\n\ntwo')
  })

  it('§4 extractError: {name, message, statusCode, retryable, url} from info.error; undefined without one', () => {
    expect(extractError(assistant)).toEqual({
      name: 'APIError',
      message: 'm',
      statusCode: 429,
      retryable: true,
      url: 'https://x',
    })
    expect(
      extractError(
        msg('assistant', [], { error: { name: 'MessageAbortedError', data: { message: 'Aborted' } } }),
      ),
    ).toEqual({
      name: 'MessageAbortedError',
      message: 'Aborted',
    })
    expect(extractError(msg('assistant', []))).toBeUndefined()
  })

  it('§4 extractCost, extractTokens, extractCacheTokens', () => {
    expect(extractCost(assistant)).toBe(0.5)
    expect(extractTokens(assistant)).toEqual({ input: 3, output: 4, cache: { read: 7 } })
    expect(extractCacheTokens(assistant)).toEqual({ cacheRead: 7, cacheWrite: 0 })
    expect(extractCost(msg('assistant', []))).toBeUndefined()
    expect(extractTokens(msg('assistant', []))).toBeUndefined()
  })

  it('§4 extractArtifactsFromMessages: completed write tools of assistant messages → {filename (basename), content, contentType}', () => {
    const write = (filePath: string, content: string, status = 'completed') => ({
      type: 'tool',
      tool: 'write',
      state: { status, input: { filePath, content } },
    })
    const messages = [
      msg('user', [write('/tmp/user.md', 'not from the agent')]),
      msg('assistant', [
        write('/srv/sandbox/report.md', '# Report'),
        write('/srv/sandbox/data.csv', 'a,b'),
        write('/srv/sandbox/pending.txt', 'x', 'running'),
        write('/srv/sandbox/blank.txt', '  '),
        write('/srv/sandbox/report.md', 'second write of the same name loses'),
        { type: 'tool', tool: 'apply_patch', state: { status: 'completed', input: { patchText: '...' } } },
      ]),
    ]
    expect(extractArtifactsFromMessages(messages)).toEqual([
      { filename: 'report.md', content: '# Report', contentType: 'text/markdown' },
      { filename: 'data.csv', content: 'a,b', contentType: 'text/csv' },
    ])
    expect(extractArtifactsFromMessages({ not: 'an array' })).toEqual([])
  })

  it('§4 extractArtifactsFromMessages: MAX_ARTIFACT_SIZE is 10 MiB (in UTF-8 bytes); larger files are skipped', () => {
    expect(MAX_ARTIFACT_SIZE).toBe(10 * 1024 * 1024)
    const write = (filePath: string, content: string) => ({
      type: 'tool',
      tool: 'write',
      state: { status: 'completed', input: { filePath, content } },
    })
    const exact = 'a'.repeat(MAX_ARTIFACT_SIZE)
    const multibyte = 'é'.repeat(MAX_ARTIFACT_SIZE / 2 + 1) // under the cap in characters, over it in bytes
    const names = extractArtifactsFromMessages([
      msg('assistant', [
        write('exact.txt', exact),
        write('multibyte.txt', multibyte),
        write('over.txt', `${exact}b`),
      ]),
    ]).map((a) => a.filename)
    expect(names).toEqual(['exact.txt'])
  })
})

describe('§4 PartSource, Todo, Prompts', () => {
  it('§4 PartSource.streamOnly: true when metadata.source is a stream-only source (todo.updated)', () => {
    expect(isStreamOnlyPart({ type: 'tool', metadata: { source: 'todo.updated' } })).toBe(true)
    expect(isStreamOnlyPart({ type: 'tool', metadata: { source: 'poll' } })).toBe(false)
    expect(isStreamOnlyPart({ type: 'tool' })).toBe(false)
    expect(isStreamOnlyPart('todo.updated')).toBe(false)
  })

  it('§4 PartSource.stamp: marks the part, keeps other metadata, rejects unknown sources', () => {
    const part = { type: 'tool', metadata: { keep: 1 } }
    expect(stampPartSource(part, 'todo.updated')).toEqual({
      type: 'tool',
      metadata: { keep: 1, source: 'todo.updated' },
    })
    expect(() => stampPartSource({}, 'elsewhere')).toThrow(InvalidArgumentError)
  })

  it('§4 Todo.canonicalize: deep copy; in-progress → in_progress, other hyphens → underscores; non-objects unchanged', () => {
    const todo = { id: '1', content: 'x', status: 'in-progress', nested: { a: [1] } }
    const copy = canonicalTodo(todo)
    expect(copy).toEqual({ id: '1', content: 'x', status: 'in_progress', nested: { a: [1] } })
    expect(copy.nested).not.toBe(todo.nested)
    expect(todo.status).toBe('in-progress')
    expect(canonicalTodo({ status: 'not-yet-started' })).toEqual({ status: 'not_yet_started' })
    expect(canonicalTodo('text')).toBe('text')
    expect(canonicalTodo(null)).toBe(null)
  })

  it('§4 Prompts: record/find/findByCall/resolve/pending/promptBlocked with the monotonic askedAt', async () => {
    const clock = new ManualClock(10)
    const prompts = new Prompts(clock)
    expect(prompts.promptBlocked).toBe(false)
    prompts.record('question', 'que_1', { questions: [] }, { messageID: 'msg_a', callID: 'c1' })
    await clock.advance(5)
    prompts.record('permission', 'per_1', { permission: 'bash' })
    expect(prompts.promptBlocked).toBe(true)
    expect(prompts.find('per_1')).toMatchObject({ kind: 'permission', askedAt: 15 })
    expect(prompts.findByCall('msg_a', 'c1')?.requestId).toBe('que_1')
    expect(prompts.findByCall('msg_a', 'c2')).toBeUndefined()
    expect(prompts.pending().map((p) => p.requestId)).toEqual(['que_1', 'per_1'])
    expect(prompts.resolve('que_1')?.askedAt).toBe(10)
    expect(prompts.resolve('que_1')).toBeUndefined()
    prompts.resolve('per_1')
    expect(prompts.promptBlocked).toBe(false)
  })
})

describe('§2 final-exchange merge (mergeFinalExchange)', () => {
  const todoPart = stampPartSource(
    { type: 'tool', tool: 'todowrite', status: 'completed', input: { todos: [] } },
    'todo.updated',
  ) as ReplyPart

  it('§2 merge: takes assistant messages after the last user message', () => {
    const messages = [
      msg('user', [{ type: 'text', text: 'old prompt' }]),
      msg('assistant', [{ type: 'text', text: 'old answer' }]),
      msg('user', [{ type: 'text', text: 'new prompt' }]),
      msg('assistant', [{ type: 'text', text: 'step 1' }], { finish: 'tool-calls' }),
      msg('assistant', [{ type: 'text', text: 'step 2' }], { finish: 'stop' }),
    ]
    expect(currentTurnAssistants(messages).map((m) => m.parts[0]?.text)).toEqual(['step 1', 'step 2'])
    expect(mergeFinalExchange([], messages)).toEqual([
      { type: 'text', content: 'step 1' },
      { type: 'text', content: 'step 2' },
    ])
  })

  it('§2 merge: a stream-only part keeps its place; every other streamed part is replaced by the next polled part; leftovers appended', () => {
    const streamed: ReplyPart[] = [
      { type: 'text', content: 'partial' },
      todoPart,
      { type: 'tool', tool: 'bash', status: 'running' },
    ]
    const polled: ReplyPart[] = [
      { type: 'text', content: 'full text' },
      { type: 'tool', tool: 'bash', status: 'completed' },
      { type: 'text', content: 'closing words' },
    ]
    expect(mergeStreamOnlyParts(streamed, polled)).toEqual([polled[0], todoPart, polled[1], polled[2]])
  })

  it('§2 merge: streamed parts beyond the polled ones that the poll already contains are dropped, stream-only ones kept', () => {
    const streamed: ReplyPart[] = [{ type: 'text', content: 'a' }, { type: 'text', content: 'b' }, todoPart]
    expect(mergeStreamOnlyParts(streamed, [{ type: 'text', content: 'ab' }])).toEqual([
      { type: 'text', content: 'ab' },
      todoPart,
    ])
  })

  it('§2 merge: syncing a live reply to the merge notifies observers, then replaces if still different', () => {
    const reply = new Reply()
    const added: number[] = []
    reply.addObserver({ partAdded: ({ index }) => added.push(index) })
    reply.replaceParts([{ type: 'text', content: 'stream' }]) // a streamed part, no notification
    const merged = mergeFinalExchange(reply.parts, [
      msg('user', []),
      msg('assistant', [
        { type: 'text', text: 'stream!' },
        { type: 'text', text: 'more' },
      ]),
    ])
    reply.syncRecoveredParts(merged)
    expect(reply.parts).toEqual(merged)
    expect(added).toEqual([1])
  })
})

describe('SseDecoder extras (wire-client §2 frame rules)', () => {
  it('§2 frames: event: and id: fields are tolerated and reported on the frame; other fields ignored', () => {
    const decoder = new SseDecoder()
    expect(decoder.feed('event: message\nid: evt_1\nretry: 10\nfoo: bar\ndata: {"a":1}\n\n')).toEqual([
      { event: 'message', id: 'evt_1', data: '{"a":1}' },
    ])
  })

  it('§2 frames: multi-line data joined by "\\n", one leading space removed (only one)', () => {
    expect(new SseDecoder().feed('data: a\ndata:b\ndata:  c\n\n')).toEqual([{ data: 'a\nb\n c' }])
  })

  it('§2 frames: CRLF split across chunks is one line end (no phantom blank line)', () => {
    const decoder = new SseDecoder()
    expect(decoder.feed('data: a\r')).toEqual([])
    expect(decoder.feed('\ndata: b\r')).toEqual([])
    expect(decoder.feed('\n\r\n')).toEqual([{ data: 'a\nb' }])
  })

  it('§2 frames: the BOM is removed only at the very start of the stream', () => {
    const decoder = new SseDecoder()
    expect(decoder.feed('\uFEFFdata: 1\n\n')).toEqual([{ data: '1' }])
    expect(decoder.feed('\uFEFFdata: 2\n\n')).toEqual([]) // a BOM later is part of a field name
  })

  it('§2 cap is per frame, not per chunk: one chunk carrying many small frames over the cap in total is fine', () => {
    const decoder = new SseDecoder({ maxFrameSize: 100 })
    const chunk = 'data: 0123456789\n\n'.repeat(50)
    expect(decoder.feed(chunk)).toHaveLength(50)
  })

  it('§2 cap: an unterminated line growing over the cap across chunks raises FrameTooLargeError', () => {
    const decoder = new SseDecoder({ maxFrameSize: 100 })
    decoder.feed('data: ')
    expect(() => {
      for (let i = 0; i < 20; i++) decoder.feed('0123456789')
    }).toThrow(FrameTooLargeError)
  })
})

describe('typed unions', () => {
  it('isEventOfType narrows an event to its known shape', () => {
    const event: OpencodeEvent = {
      type: 'message.part.delta',
      properties: { sessionID: 's', messageID: 'm', partID: 'p', field: 'text', delta: 'x' },
    }
    if (!isEventOfType(event, 'message.part.delta')) throw new Error('not narrowed')
    const text: string = event.properties.delta
    expect(text).toBe('x')
    expect(isEventOfType(event, 'session.idle')).toBe(false)
  })
})

describe('WireClient (host-layer §6.5)', () => {
  it('Client implements WireClient (the orchestration layer depends on the interface)', () => {
    const wire: WireClient = new Client({ baseUrl: 'http://opencode.test' })
    for (const method of [
      'createSession',
      'deleteSession',
      'abortSession',
      'getMessages',
      'prompt',
      'events',
      'replyPermission',
      'replyQuestion',
      'rejectQuestion',
    ] as const)
      expect(typeof wire[method]).toBe('function')
  })
})

describe('ManualClock (testing)', () => {
  it('sleep resolves only when advance() passes the deadline; now() and date() move with it', async () => {
    const clock = new ManualClock(0, Date.UTC(2026, 0, 1))
    let woke = false
    const sleeping = clock.sleep(100).then(() => {
      woke = true
    })
    expect(clock.pendingSleeps).toBe(1)
    await clock.advance(99)
    expect(woke).toBe(false)
    await clock.advance(1)
    await sleeping
    expect(woke).toBe(true)
    expect(clock.now()).toBe(100)
    expect(clock.date().toISOString()).toBe('2026-01-01T00:00:00.100Z')
  })

  it('sleep rejects with the signal reason on abort and leaves no sleeper behind', async () => {
    const clock = new ManualClock()
    const controller = new AbortController()
    const sleeping = clock.sleep(100, controller.signal).catch((e: unknown) => e)
    controller.abort(new Error('stop'))
    expect(await sleeping).toEqual(new Error('stop'))
    expect(clock.pendingSleeps).toBe(0)
  })

  it('sleep(0) resolves at once; an already-aborted signal rejects at once', async () => {
    const clock = new ManualClock()
    await expect(clock.sleep(0)).resolves.toBeUndefined()
    await expect(clock.sleep(10, AbortSignal.abort('x'))).rejects.toBe('x')
  })
})
