import { beforeEach, describe, expect, it } from 'vitest'
import type { MessagePort } from '../../src/adapter/index.js'
import { CANCELLED_CONTENT, ERROR_FALLBACK_CONTENT } from '../../src/host/Turn.js'
import { turnFinishedPayload } from '../../src/host/TurnResult.js'
import {
  PersistenceError,
  runTurn,
  ServerError,
  Session,
  startTurn,
  TimeoutError,
  type TurnOptions,
  type TurnResult,
} from '../../src/index.js'
import { ManualClock, MemoryMessagePort, MemoryRecordPort, MemoryStorage } from '../../src/testing/index.js'
import {
  assistantMessage,
  delta,
  FakeTurnClient,
  heartbeat,
  idle,
  todos,
  toolPart,
  userMessage,
} from './support/fakeTurnClient.js'

const reports: { error: unknown; severity?: string; context?: Record<string, unknown> }[] = []
beforeEach(() => {
  reports.length = 0
})
const onError: NonNullable<TurnOptions['onError']> = (error, context) => {
  reports.push({ error, severity: context.severity, context })
}

/** The Ruby turn_test world: query "ping", answer "pong", every delay 0. */
function world(overrides: Partial<TurnOptions> = {}, setup: { sessionId?: string | null } = {}) {
  const records = new MemoryRecordPort()
  const subject = records.insert({
    title: 'Trip',
    opencodeSessionId: setup.sessionId === undefined ? 'ses_turn_test' : setup.sessionId,
  })
  const messages = new MemoryMessagePort()
  const message = messages.insert()
  const client = new FakeTurnClient()
  client.after = [
    userMessage('ping'),
    assistantMessage({ text: 'pong', cost: 0.01, tokens: { input: 2, output: 1 } }),
  ]
  client.steps = [delta('pong'), idle()]
  const session = new Session({ subject, records, client, permissions: 'server-defaults', onError })
  const trace: [string, Record<string, unknown>][] = []
  const finished: TurnResult[] = []
  const clock = new ManualClock()
  const options = (more: Partial<TurnOptions> = {}): TurnOptions => ({
    messageId: message.id,
    messages,
    session,
    client,
    prompt: 'ping',
    agent: () => 'test-agent',
    system: () => 'test-system',
    onError,
    onTrace: (name, payload) => {
      trace.push([name, payload])
    },
    onTurnFinished: (result) => {
      finished.push(result)
    },
    emptyStreamRetryDelayMs: 0,
    finalExchangeTimeoutMs: 0,
    finalExchangeRetryDelayMs: 0,
    clock,
    ...overrides,
    ...more,
  })
  const run = (more: Partial<TurnOptions> = {}) => runTurn(options(more))
  const names = () => trace.map(([name]) => name)
  return { records, subject, messages, message, client, session, trace, names, finished, clock, options, run }
}

describe('Turn (host-layer §2.3, turn_test.rb)', () => {
  it('turn_test 4: the result narrows on status and carries duration, usage and the row; turn.finished has cost and tokens', () => {
    const messages = new MemoryMessagePort()
    const row = messages.insert({ cost: 0.012, inputTokens: 100, outputTokens: 50 })
    const usage = {
      cost: 0.012,
      inputTokens: 100,
      outputTokens: 50,
      reasoningTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    }
    const result: TurnResult = {
      status: 'completed',
      messageId: row.id,
      message: row,
      durationMs: 1234,
      usage,
    }
    expect('error' in result).toBe(false)
    expect([
      result.durationMs,
      result.message?.cost,
      result.message?.inputTokens,
      result.message?.outputTokens,
    ]).toEqual([1234, 0.012, 100, 50])
    expect(turnFinishedPayload(result, 2)).toEqual({
      status: 'completed',
      durationMs: 1234,
      cost: 0.012,
      inputTokens: 100,
      outputTokens: 50,
      toolCount: 2,
    })
  })

  it('turn_test 5: a reconnect after subscribing never re-sends the prompt; the turn completes with "pong"', async () => {
    const w = world()
    w.client.reconnect = true
    const result = await w.run()
    expect(w.client.prompts).toHaveLength(1)
    expect(w.client.prompts[0]).toEqual({
      sessionId: 'ses_turn_test',
      text: 'ping',
      agent: 'test-agent',
      system: 'test-system',
    })
    expect(w.client.log).toEqual([
      'messages_before',
      'sse_ready',
      'prompt',
      'sse_reconnected',
      'messages_after',
    ])
    const row = await w.messages.load(w.message.id)
    expect(row).toMatchObject({
      status: 'completed',
      content: 'pong',
      cost: 0.01,
      inputTokens: 2,
      outputTokens: 1,
    })
    expect(result.status).toBe('completed')
    expect(w.finished.at(-1)?.status).toBe('completed')
  })

  it('turn_test 6: an ambiguous prompt failure is not recovered: one prompt, one read, error fallback, failed', async () => {
    const w = world()
    const timeout = new Error('Net::ReadTimeout')
    w.client.promptError = timeout
    const result = await w.run()
    expect(w.client.prompts).toHaveLength(1)
    expect(w.client.log.filter((entry) => entry.startsWith('messages'))).toHaveLength(1)
    const row = await w.messages.load(w.message.id)
    expect(row).toMatchObject({ status: 'error', content: ERROR_FALLBACK_CONTENT })
    expect(result.status).toBe('failed')
    expect(result.status === 'failed' && result.error).toBe(timeout)
    expect(w.names()).toEqual(['response.started', 'turn.finished'])
    expect(w.trace.at(-1)?.[1]).toMatchObject({
      status: 'failed',
      error: 'Error',
      errorMessage: 'Net::ReadTimeout',
    })
  })
})

describe('Turn outcome matrix (host-layer §2.3.15)', () => {
  it('happy path: finalize, events in order, toolCount from the row', async () => {
    const w = world()
    const result = await w.run()
    expect(result.status).toBe('completed')
    expect(w.names()).toEqual(['response.started', 'stream.completed', 'turn.finished'])
    expect(w.trace[1]?.[1]).toEqual({ durationMs: 0, firstTokenMs: 0, eventCount: 2, toolCount: 0 })
    expect(w.trace.at(-1)?.[1]).toEqual({
      status: 'completed',
      durationMs: 0,
      cost: 0.01,
      inputTokens: 2,
      outputTokens: 1,
      toolCount: 0,
    })
  })

  it('happy path with a new session emits session.created with the stored id', async () => {
    const w = world({}, { sessionId: null })
    await w.run()
    expect(w.names()).toEqual(['response.started', 'session.created', 'stream.completed', 'turn.finished'])
    expect(w.trace[1]?.[1]).toEqual({ sessionId: 'ses_new_1', subjectId: w.subject.id })
  })

  it('finalize CAS lost: a cancel between reload and finalize wins; on_finalized does not run', async () => {
    const w = world()
    let cancelled = false
    const racing: MessagePort = {
      ...w.messages,
      load: async (id) => {
        const row = await w.messages.load(id)
        // The user clicks stop right after our reload before the finalize (the first after the prompt).
        if (w.client.prompts.length > 0 && !cancelled) {
          cancelled = true
          await w.messages.cancel(id)
        }
        return row
      },
      finalize: (id, fields) => w.messages.finalize(id, fields),
      error: (id, content) => w.messages.error(id, content),
      cancel: (id) => w.messages.cancel(id),
      update: (id, fields) => w.messages.update(id, fields),
      snapshot: (id, fields) => w.messages.snapshot(id, fields),
      touchActivity: (id, at) => w.messages.touchActivity(id, at),
      claimPrompt: (id, claim) => w.messages.claimPrompt(id, claim),
      claimStalled: (id, lease) => w.messages.claimStalled(id, lease),
      listStalled: (options) => w.messages.listStalled(options),
      updateRequests: (id, expected, next) => w.messages.updateRequests(id, expected, next),
    }
    let finalizedCalls = 0
    const result = await w.run({ messages: racing, onFinalized: () => finalizedCalls++ })
    expect(result.status).toBe('cancelled')
    expect(finalizedCalls).toBe(0)
    expect((await w.messages.load(w.message.id)).status).toBe('cancelled')
  })

  it('user cancelled before the final write: content kept, status untouched, cancelled', async () => {
    const w = world({ snapshotIntervalMs: 1e9 })
    w.client.steps = [delta('po'), () => w.messages.cancel(w.message.id), delta('ng'), idle()]
    w.client.after = [userMessage('ping'), assistantMessage({ text: 'pong', cost: 0.5 })]
    const result = await w.run()
    expect(result.status).toBe('cancelled')
    expect(await w.messages.load(w.message.id)).toMatchObject({
      status: 'cancelled',
      content: 'pong',
      cost: 0.5,
    })
  })

  it('user cancelled with no text: "Response was stopped."', async () => {
    const w = world({ snapshotIntervalMs: 1e9 })
    w.client.steps = [() => w.messages.cancel(w.message.id), idle()]
    w.client.after = [userMessage('ping')]
    await w.run()
    expect(await w.messages.load(w.message.id)).toMatchObject({
      status: 'cancelled',
      content: CANCELLED_CONTENT,
    })
  })

  it('blank text recovered on the re-poll: response.recovered_from_exchange, completed', async () => {
    const w = world()
    w.client.steps = [idle()]
    w.client.after = (poll) =>
      poll === 1 ? [userMessage('ping')] : [userMessage('ping'), assistantMessage({ text: 'late pong' })]
    const result = await w.run()
    expect(result.status).toBe('completed')
    expect(w.names()).toContain('response.recovered_from_exchange')
    expect((await w.messages.load(w.message.id)).content).toBe('late pong')
  })

  it('blank text with an upstream error: upstream_error + response.error{upstream_llm_error}, error fallback', async () => {
    const w = world()
    w.client.steps = [idle()]
    w.client.after = [
      userMessage('ping'),
      assistantMessage({
        error: {
          name: 'APIError',
          data: {
            message: 'Bad Request',
            statusCode: 400,
            isRetryable: false,
            metadata: { url: 'http://llm/v1' },
          },
        },
      }),
    ]
    const result = await w.run()
    expect(result.status).toBe('error')
    expect(w.names()).toEqual([
      'response.started',
      'stream.completed',
      'response.upstream_error',
      'response.error',
      'turn.finished',
    ])
    expect(w.trace[2]?.[1]).toEqual({
      errorName: 'APIError',
      errorMessage: 'Bad Request',
      statusCode: 400,
      providerUrl: 'http://llm/v1',
    })
    expect(w.trace[3]?.[1]).toEqual({
      reason: 'upstream_llm_error',
      messageId: w.message.id,
      subjectId: w.subject.id,
    })
    expect(await w.messages.load(w.message.id)).toMatchObject({
      status: 'error',
      content: ERROR_FALLBACK_CONTENT,
    })
    const upstream = reports.find((r) => String((r.error as Error).message).startsWith('Upstream LLM error'))
    expect(String((upstream?.error as Error | undefined)?.message)).toBe(
      'Upstream LLM error: APIError - Bad Request',
    )
    expect(upstream?.severity).toBe('error')
  })

  it('blank text and nothing upstream: response.error{empty_stream}', async () => {
    const w = world()
    w.client.steps = [idle()]
    w.client.after = [userMessage('ping')]
    const result = await w.run()
    expect(result.status).toBe('error')
    expect(w.trace.find(([n]) => n === 'response.error')?.[1]).toMatchObject({ reason: 'empty_stream' })
    expect(w.client.aborted).toEqual(['ses_turn_test']) // the agent may still be retrying: stop the spend
  })

  it('stream dies after the prompt was accepted: reported, stream.interrupted, recovered from the last assistant', async () => {
    const w = world()
    w.client.steps = [delta('po')]
    w.client.streamError = new ServerError('connection reset')
    const result = await w.run()
    expect(result.status).toBe('completed')
    expect(w.names()).toEqual(['response.started', 'stream.interrupted', 'turn.finished'])
    expect(w.trace[1]?.[1]).toMatchObject({
      eventCount: 1,
      error: 'ServerError',
      errorMessage: 'connection reset',
    })
    expect(reports[0]).toMatchObject({ severity: 'warning', context: { errorClass: 'ServerError' } })
    expect((await w.messages.load(w.message.id)).content).toBe('pong')
  })

  it('stream dies on a server with a durable log (v2): resumed after the last seq, the reply goes on, no restart', async () => {
    const w = world()
    w.client.steps = [{ ...delta('po'), seq: 7 }]
    w.client.streamError = new ServerError('connection reset')
    w.client.resumeSteps = [{ ...delta('ng'), seq: 8 }, idle()]
    const turn = startTurn(w.options())
    const kinds: string[] = []
    for await (const event of turn.events) kinds.push(event.type)
    const result = await turn.result
    expect(result.status).toBe('completed')
    expect(w.client.resumedAfter).toEqual([7])
    expect(w.client.prompts).toHaveLength(1)
    expect(w.names()).toEqual([
      'response.started',
      'stream.interrupted',
      'stream.resumed',
      'stream.completed',
      'turn.finished',
    ])
    expect(w.trace[2]?.[1]).toEqual({ afterSeq: 7 })
    expect(kinds).not.toContain('restart')
    expect((await w.messages.load(w.message.id)).content).toBe('pong')
  })

  it('a resumed stream that fails too falls back to the messages; a turn past its deadline is not resumed', async () => {
    const w = world()
    w.client.steps = [{ ...delta('po'), seq: 3 }]
    w.client.streamError = new ServerError('connection reset')
    w.client.resumeError = new ServerError('still down')
    const result = await w.run()
    expect(result.status).toBe('completed')
    expect(w.client.resumedAfter).toEqual([3])
    expect(w.names()).toEqual([
      'response.started',
      'stream.interrupted',
      'stream.resumed',
      'stream.interrupted',
      'turn.finished',
    ])
    expect((await w.messages.load(w.message.id)).content).toBe('pong')

    const late = world()
    late.client.steps = [{ ...delta('po'), seq: 3 }]
    late.client.streamError = new TimeoutError('The session did not finish')
    await late.run()
    expect(late.client.resumedAfter).toEqual([])
    expect(late.names()).toEqual(['response.started', 'stream.interrupted', 'turn.finished'])
  })

  it('prompt POST fails with a 5xx: failed, error fallback, no recovery', async () => {
    const w = world()
    w.client.promptError = new ServerError('boom', { status: 500 })
    const result = await w.run()
    expect(result.status).toBe('failed')
    expect(result.status === 'failed' && result.error).toBeInstanceOf(ServerError)
    expect(await w.messages.load(w.message.id)).toMatchObject({
      status: 'error',
      content: ERROR_FALLBACK_CONTENT,
    })
  })

  it('404 before the prompt: recreate once (old session aborted), session.recreated_with_resend, the retry completes', async () => {
    const w = world()
    w.client.missing.add('ses_turn_test')
    const result = await w.run()
    expect(result.status).toBe('completed')
    expect(w.names()).toEqual([
      'response.started',
      'session.recreated_with_resend',
      'stream.completed',
      'turn.finished',
    ])
    expect(w.trace[1]?.[1]).toEqual({ sessionId: 'ses_new_1', subjectId: w.subject.id })
    expect(w.client.prompts.map((p) => p.sessionId)).toEqual(['ses_new_1'])
    expect(w.client.aborted).toEqual(['ses_turn_test'])
    expect((await w.records.load(w.subject.id)).opencodeSessionId).toBe('ses_new_1')
  })

  it('a second 404 after the recreate: failed', async () => {
    const w = world()
    w.client.missing.add('ses_turn_test')
    w.client.missing.add('ses_new_1')
    const result = await w.run()
    expect(result.status).toBe('failed')
    expect(w.client.prompts).toHaveLength(0)
    expect((await w.messages.load(w.message.id)).status).toBe('error')
  })

  it('a 404 on the prompt (after subscribing) recreates and re-sends the prompt on the new session', async () => {
    const w = world()
    let failOnce = true
    const original = w.client.prompt.bind(w.client)
    w.client.prompt = async (sessionId, input) => {
      if (failOnce) {
        failOnce = false
        w.client.missing.add(sessionId)
      }
      return original(sessionId, input)
    }
    const result = await w.run()
    expect(result.status).toBe('completed')
    expect(w.client.prompts.map((p) => p.sessionId)).toEqual(['ses_turn_test', 'ses_new_1'])
  })

  it('on_finalized throws: still completed, callback.error before turn.finished', async () => {
    const w = world({
      onFinalized: () => {
        throw new Error('redis down')
      },
    })
    const result = await w.run()
    expect(result.status).toBe('completed')
    expect(w.names().slice(-2)).toEqual(['callback.error', 'turn.finished'])
    expect(w.trace.at(-2)?.[1]).toEqual({ callback: 'onFinalized', errorClass: 'Error' })
    expect(reports.at(-1)?.context).toMatchObject({ callback: 'onFinalized', messageId: w.message.id })
  })

  it('on_turn_finished throws: callback.error then turn.finished, result unchanged', async () => {
    const w = world({
      onTurnFinished: () => {
        throw new TypeError('broadcast failed')
      },
    })
    const result = await w.run()
    expect(result.status).toBe('completed')
    expect(w.names().slice(-2)).toEqual(['callback.error', 'turn.finished'])
    expect(w.trace.at(-2)?.[1]).toEqual({ callback: 'onTurnFinished', errorClass: 'TypeError' })
  })

  it('an empty exchange poll (Opencode error) is reported as a warning and the stream result stands', async () => {
    const w = world()
    const original = w.client.getMessages.bind(w.client)
    w.client.getMessages = async (id) => {
      if (w.client.prompts.length > 0) throw new ServerError('poll failed', { status: 500 })
      return original(id)
    }
    const result = await w.run()
    expect(result.status).toBe('completed')
    expect((await w.messages.load(w.message.id)).content).toBe('pong')
    expect(reports[0]?.context).toMatchObject({
      action: 'fetchCurrentExchange',
      sessionId: 'ses_turn_test',
    })
  })
})

describe('Turn: the final exchange (host-layer §2.3.7–2.3.9)', () => {
  it('waits for final text while the last step asked for tools, polling on the clock', async () => {
    const w = world({ finalExchangeTimeoutMs: 60_000, finalExchangeRetryDelayMs: 2000 })
    w.client.steps = [delta('Let me check.'), idle()]
    const step1 = assistantMessage({ id: 'msg_1', text: 'Let me check.', finish: 'tool-calls', cost: 0.1 })
    w.client.after = (poll) =>
      poll < 3
        ? [userMessage('ping'), step1]
        : [userMessage('ping'), step1, assistantMessage({ id: 'msg_2', text: 'Done.', cost: 0.2 })]
    const turn = w.run()
    while (w.client.log.filter((l) => l === 'messages_after').length < 3) {
      await w.clock.advance(2000)
    }
    const result = await turn
    expect(result.status).toBe('completed')
    expect(w.names()).toContain('response.waiting_for_final_text')
    expect((await w.messages.load(w.message.id)).content).toBe('Let me check.\n\nDone.')
  })

  it('gives up at the final-exchange deadline and finalizes what it has', async () => {
    const w = world({ finalExchangeTimeoutMs: 10_000, finalExchangeRetryDelayMs: 2000 })
    w.client.steps = [delta('Working'), idle()]
    w.client.after = [userMessage('ping'), assistantMessage({ text: 'Working', finish: 'tool-calls' })]
    const turn = w.run()
    for (let i = 0; i < 10 && w.finished.length === 0; i++) await w.clock.advance(2000)
    const result = await turn
    expect(result.status).toBe('completed')
    const polls = w.client.log.filter((l) => l === 'messages_after').length
    expect(polls).toBe(6) // the first fetch plus one per 2 s until the 10 s deadline
  })

  it('never matches a user message from before the turn with the same text', async () => {
    const w = world()
    w.client.before = [
      userMessage('ping', 'msg_old'),
      assistantMessage({ id: 'msg_old_a', text: 'old pong' }),
    ]
    w.client.steps = [idle()]
    w.client.after = [...w.client.before]
    const result = await w.run()
    expect(result.status).toBe('error') // the old answer is never finalized as this turn's
  })

  it('todos from todo.updated survive the authoritative final poll (stream-only parts keep their place)', async () => {
    const w = world()
    w.client.steps = [todos([{ content: 'Book hotel', status: 'pending' }]), delta('pong'), idle()]
    const result = await w.run()
    expect(result.status).toBe('completed')
    const row = await w.messages.load(w.message.id)
    expect(row.parts?.map((p) => p.type)).toEqual(['tool', 'text'])
    expect(row.parts?.[0]).toMatchObject({ tool: 'todowrite' })
  })

  it('defect 3: cost and tokens are summed over every assistant message of the tool loop', async () => {
    const w = world()
    w.client.steps = [delta('Done.'), idle()]
    w.client.after = [
      userMessage('ping'),
      assistantMessage({
        id: 'msg_1',
        finish: 'tool-calls',
        cost: 0.1,
        tokens: { input: 100, output: 10, cache: { read: 5, write: 1 } },
        parts: [toolPart('read', { filePath: 'a.txt' })],
      }),
      assistantMessage({
        id: 'msg_2',
        text: 'Done.',
        cost: 0.2,
        tokens: { input: 200, output: 20, cache: { read: 7, write: 2 } },
      }),
    ]
    await w.run()
    expect(await w.messages.load(w.message.id)).toMatchObject({
      cost: 0.3,
      inputTokens: 300,
      outputTokens: 30,
      cacheReadTokens: 12,
      cacheWriteTokens: 3,
    })
  })
})

describe('Turn: snapshots, activity and cancellation (opencode-kit additions)', () => {
  it('writes at most one snapshot per interval, only while something changed', async () => {
    const snapshots: string[] = []
    const w = world({ snapshotIntervalMs: 1000 })
    const messages: MessagePort = Object.create(w.messages)
    messages.snapshot = async (id, fields) => {
      snapshots.push(String(fields.content))
      return w.messages.snapshot(id, fields)
    }
    const steps = []
    for (let i = 0; i < 50; i++) steps.push(delta(`${i} `), () => w.clock.advance(100)) // 5 s of deltas
    steps.push(heartbeat(), () => w.clock.advance(5000), heartbeat(), idle())
    w.client.steps = steps
    await w.run({ messages })
    expect(snapshots.length).toBeGreaterThanOrEqual(4)
    expect(snapshots.length).toBeLessThanOrEqual(5) // 5 s of turn time, at most one write per second
    expect(snapshots.at(-1)).toContain('49')
  })

  it('a snapshot refused because the row left pending stops the stream and aborts upstream', async () => {
    const w = world({ snapshotIntervalMs: 0 })
    let afterCancel = 0
    w.client.steps = [
      delta('Hel'),
      () => w.messages.cancel(w.message.id), // another process: the user's stop button
      delta('lo'),
      () => afterCancel++,
      delta(' world'),
      idle(),
    ]
    const result = await w.run()
    expect(result.status).toBe('cancelled')
    expect(afterCancel).toBe(0)
    expect(w.client.aborted).toEqual(['ses_turn_test'])
    expect(await w.messages.load(w.message.id)).toMatchObject({ status: 'cancelled', content: 'Hello' })
  })

  it('an AbortSignal mid-stream cancels the row, aborts upstream and keeps the streamed text', async () => {
    const stop = new AbortController()
    const w = world({ signal: stop.signal })
    w.client.steps = [delta('Partial'), () => stop.abort(), delta(' never'), idle()]
    const result = await w.run()
    expect(result.status).toBe('cancelled')
    expect(w.client.aborted).toEqual(['ses_turn_test'])
    expect(await w.messages.load(w.message.id)).toMatchObject({ status: 'cancelled', content: 'Partial' })
    expect(w.finished).toHaveLength(1)
  })

  it('an AbortSignal before the prompt cancels without prompting or aborting upstream', async () => {
    const stop = new AbortController()
    stop.abort()
    const w = world({ signal: stop.signal })
    const result = await w.run()
    expect(result.status).toBe('cancelled')
    expect(w.client.prompts).toHaveLength(0)
    expect(w.client.aborted).toEqual([])
    expect(await w.messages.load(w.message.id)).toMatchObject({
      status: 'cancelled',
      content: CANCELLED_CONTENT,
    })
  })

  it('an abort after finalize changes nothing', async () => {
    const stop = new AbortController()
    const w = world({ signal: stop.signal, onFinalized: () => stop.abort() })
    const result = await w.run()
    expect(result.status).toBe('completed')
    expect((await w.messages.load(w.message.id)).status).toBe('completed')
  })

  it('touches activity every 5 minutes of stream time; a failing hook is reported and waits for the next tick', async () => {
    let ticks = 0
    let failFirst = true
    const w = world({
      onActivityTick: () => {
        if (failFirst) {
          failFirst = false
          throw new Error('redis blip')
        }
        ticks++
      },
    })
    w.client.steps = [
      heartbeat(),
      () => w.clock.advance(300_000),
      heartbeat(), // fails
      heartbeat(), // throttled: the schedule advanced anyway (issue 15 #17)
      () => w.clock.advance(300_000),
      heartbeat(), // the next tick succeeds
      heartbeat(), // throttled
      delta('pong'),
      idle(),
    ]
    await w.run()
    expect(ticks).toBe(1)
    expect(reports[0]?.context).toMatchObject({ hook: 'onActivityTick', feature: 'opencode.turn' })
    expect(reports).toHaveLength(1)
    expect((await w.messages.load(w.message.id)).lastActivityAt).not.toBeNull()
  })

  it('defect 5: errors inside error handling are contained; an error write that keeps failing rejects with PersistenceError', async () => {
    const w = world()
    w.client.promptError = new Error('boom')
    const messages: MessagePort = Object.create(w.messages)
    messages.error = async () => {
      throw new Error('db down')
    }
    const run = w.run({ messages, terminalWriteAttempts: 2, terminalWriteRetryDelayMs: 0 })
    await expect(run).rejects.toBeInstanceOf(PersistenceError)
    expect(reports.map((r) => (r.error as Error).message)).toEqual(['boom', 'db down'])
    expect(w.finished.map((r) => r.status)).toEqual(['failed'])
  })

  it('attaches write-tool artifacts of a completed turn through the storage port', async () => {
    const storage = new MemoryStorage()
    const w = world()
    w.client.after = [
      userMessage('ping'),
      assistantMessage({
        id: 'msg_1',
        finish: 'tool-calls',
        parts: [toolPart('write', { filePath: '/work/notes.md', content: '# Notes' })],
      }),
      assistantMessage({ id: 'msg_2', text: 'pong' }),
    ]
    await w.run({ artifacts: { storage } })
    const listed = await storage.list(w.message.id)
    expect(listed.map((a) => [a.filename, a.contentType])).toEqual([['notes.md', 'text/markdown']])
  })

  it('turn.events can be iterated once; the turn runs whether or not anyone iterates', async () => {
    const w = world()
    const turn = startTurn(w.options())
    const result = await turn.result
    expect(result.status).toBe('completed')
    const types: string[] = []
    for await (const event of turn.events) types.push(event.type)
    expect(types[0]).toBe('start')
    expect(types.at(-1)).toBe('finish')
    expect(() => turn.events[Symbol.asyncIterator]()).toThrow(/iterated once/)
  })
})
