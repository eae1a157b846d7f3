// Issue 22: permission and question requests that never hang a headless turn. The real Client over
// MSW against the stand-in, in-memory ports, a manual clock: requests are recorded on the row,
// answered from "another process" (a second kit on the same ports) with a compare-and-set, handled
// by the policy (ask with a timeout, allow, deny), and an unanswered one ends within its timeout.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  Client,
  createOpencodeKit,
  InvalidArgumentError,
  type OpencodeKit,
  RequestNotPendingError,
  type RequestPolicy,
  type TurnEvent,
} from '../../src/index.js'
import {
  ManualClock,
  MemoryMessagePort,
  MemoryRecordPort,
  OpencodeStandIn,
  scenario,
} from '../../src/testing/index.js'
import { standInHandlers } from '../../src/testing/msw/index.js'

const BASE = 'http://requests.test'
let standIn = new OpencodeStandIn({ heartbeatMs: 0 })
const server = setupServer(
  ...standInHandlers({ handle: (r: Request) => standIn.handle(r) } as OpencodeStandIn, { baseUrl: BASE }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  server.resetHandlers()
  standIn.close()
  standIn = new OpencodeStandIn({ heartbeatMs: 0 })
})
afterAll(() => server.close())

// Below the stream's per-read deadline (30 s), which the manual clock would fire too.
const TIMEOUT_MS = 20_000

function world(requests: RequestPolicy = {}, errors: unknown[] = []) {
  const records = new MemoryRecordPort()
  const messages = new MemoryMessagePort()
  const clock = new ManualClock()
  const subject = records.insert({ title: 'Trip' })
  const message = messages.insert()
  const kitFor = () =>
    createOpencodeKit({
      client: new Client({ baseUrl: BASE, api: 'v1' }),
      records,
      messages,
      permissions: 'server-defaults',
      clock,
      onError: (error) => {
        errors.push(error)
      },
      requests: { timeoutMs: TIMEOUT_MS, ...requests },
      tuning: { emptyStreamRetryDelayMs: 0, finalExchangeTimeoutMs: 0, finalExchangeRetryDelayMs: 0 },
    })
  // The worker runs the turn; the "web process" answers through its own kit on the same tables.
  return { worker: kitFor(), web: kitFor(), messages, clock, subjectId: subject.id, messageId: message.id }
}

/** Run a turn, calling `onEvent` for each event (awaited), and return every event and the result. */
async function run(
  kit: OpencodeKit,
  input: { subjectId: number | string; messageId: number | string },
  onEvent: (event: TurnEvent) => unknown = () => {},
) {
  const turn = kit.startTurn({ ...input, prompt: 'Do the thing' })
  const events: TurnEvent[] = []
  for await (const event of turn.events) {
    events.push(event)
    await onEvent(event)
  }
  return { events, result: await turn.result }
}

const resolutions = (events: TurnEvent[]) =>
  events.flatMap((e) => (e.type === 'request-resolved' ? [[e.requestId, e.resolution, e.answer]] : []))

describe('issue 22: requests recorded on the row and answered from any process', () => {
  it('a permission asked mid-turn is on the row as pending; the web process answers "once"; the worker goes on', async () => {
    const w = world()
    standIn.enqueue(scenario().text('Let me list. ').permission('bash', ['ls']).text('Listed.'))
    let pendingOnRow: unknown
    const { events, result } = await run(w.worker, w, async (event) => {
      if (event.type !== 'permission') return
      await waitFor(async () => (await w.messages.load(w.messageId)).requests?.length === 1)
      pendingOnRow = (await w.messages.load(w.messageId)).requests
      await w.web.reply(w.messageId, event.request.id, 'once')
    })
    expect(pendingOnRow).toMatchObject([
      { kind: 'permission', status: 'pending', request: { permission: 'bash', patterns: ['ls'] } },
    ])
    expect(result.status).toBe('completed')
    expect(result.message?.content).toContain('Listed.')
    const [request] = (await w.messages.load(w.messageId)).requests ?? []
    expect(request).toMatchObject({ status: 'answered', answer: 'once' })
    expect(request?.resolvedAt).toBeDefined()
    // The server's own confirmation came back on the stream: the answer reached it.
    expect(resolutions(events)).toEqual([[request?.id, 'answered', 'once']])
  })

  it('two answers to one request: exactly one wins, the other gets RequestNotPendingError', async () => {
    const w = world()
    standIn.enqueue(scenario().permission('bash', ['rm -rf build']).text('Done.'))
    let outcomes: PromiseSettledResult<unknown>[] = []
    const { result } = await run(w.worker, w, async (event) => {
      if (event.type !== 'permission') return
      await waitFor(async () => (await w.messages.load(w.messageId)).requests?.length === 1)
      outcomes = await Promise.allSettled([
        w.web.reply(w.messageId, event.request.id, 'reject'),
        w.worker.reply(w.messageId, event.request.id, 'always'),
      ])
    })
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult
    expect(lost.reason).toBeInstanceOf(RequestNotPendingError)
    expect(result.status).toBe('completed')
    const [stored] = (await w.messages.load(w.messageId)).requests ?? []
    expect(['answered', 'rejected']).toContain(stored?.status)
  })

  it('a question answered with { answers }; a malformed answer is an InvalidArgumentError and changes nothing', async () => {
    const w = world()
    standIn.enqueue(scenario().question('Which city?', ['Paris', 'Rome']).text('Rome it is.'))
    let malformed: unknown
    const { events, result } = await run(w.worker, w, async (event) => {
      if (event.type !== 'question') return
      expect(event.request.questions[0]?.options?.map((o) => o.label)).toEqual(['Paris', 'Rome'])
      await waitFor(async () => (await w.messages.load(w.messageId)).requests?.length === 1)
      malformed = await w.web.reply(w.messageId, event.request.id, 'once').catch((error: unknown) => error)
      await w.web.reply(w.messageId, event.request.id, { answers: [['Rome']] })
    })
    expect(malformed).toBeInstanceOf(InvalidArgumentError)
    expect(result.status).toBe('completed')
    const [stored] = (await w.messages.load(w.messageId)).requests ?? []
    expect(stored).toMatchObject({ kind: 'question', status: 'answered', answer: { answers: [['Rome']] } })
    expect(resolutions(events)).toEqual([[stored?.id, 'answered', [['Rome']]]])
  })

  it('an unknown request id is a typed not-found error', async () => {
    const w = world()
    await expect(w.web.reply(w.messageId, 'per_nope', 'once')).rejects.toMatchObject({ code: 'not_found' })
  })
})

describe('issue 22: the policy for unattended turns', () => {
  it('ask (the default) with nobody answering: rejected upstream and marked expired when its timeout passes — one expired event, no hang', async () => {
    const w = world()
    standIn.enqueue(scenario().permission('external_directory', ['/etc/*']).text('Went on without it.'))
    const { events, result } = await run(w.worker, w, async (event) => {
      if (event.type === 'permission') await w.clock.advance(TIMEOUT_MS)
    })
    expect(result.status).toBe('completed')
    const [stored] = (await w.messages.load(w.messageId)).requests ?? []
    expect(stored).toMatchObject({ status: 'expired', kind: 'permission' })
    expect(stored?.expiresAt).toBe(new Date(Date.UTC(2026, 0, 1) + TIMEOUT_MS).toISOString())
    // Told once as expired; the server's rejection that follows is not told again.
    expect(resolutions(events)).toEqual([[stored?.id, 'expired', undefined]])
    // Within the request's timeout, not the stream's overall deadline (600 s).
    expect(w.clock.now()).toBe(TIMEOUT_MS)
  })

  it('a request the server lost (it restarted): expired on the row, reported, and the stream is no longer blocked by it', async () => {
    const errors: unknown[] = []
    const w = world({}, errors)
    // The restarted server answers 404 for the request it no longer has.
    server.use(
      http.post(`${BASE}/permission/:id/reply`, () =>
        HttpResponse.json({ name: 'NotFoundError', data: { message: 'no such request' } }, { status: 404 }),
      ),
    )
    standIn.enqueue(scenario().permission('bash', ['ls']).text('Never reached.'))
    const stop = new AbortController()
    const turn = w.worker.startTurn({
      subjectId: w.subjectId,
      messageId: w.messageId,
      prompt: 'Do the thing',
      signal: stop.signal,
    })
    const events: TurnEvent[] = []
    for await (const event of turn.events) {
      events.push(event)
      if (event.type === 'permission') await w.clock.advance(TIMEOUT_MS)
      if (event.type === 'request-resolved') {
        await waitFor(async () => errors.some((e) => String(e).includes('no longer knows')))
        stop.abort()
      }
    }
    expect((await w.messages.load(w.messageId)).requests?.[0]).toMatchObject({ status: 'expired' })
    expect(resolutions(events).map(([, r]) => r)).toEqual(['expired'])
    expect(errors.map(String).find((e) => e.includes('no longer knows'))).toMatch(/permission request per_/)
    expect((await turn.result).status).toBe('cancelled')
  })

  it('a run that takes over the row (the last worker died) adopts its pending request and expires it at its stored time', async () => {
    const w = world()
    // What the dead worker left: a permission pending on the row, due to expire 5 s from now.
    const expiresAt = new Date(w.clock.date().getTime() + 5000).toISOString()
    await w.messages.updateRequests(w.messageId, null, [
      {
        id: 'per_left_by_dead_worker',
        kind: 'permission',
        status: 'pending',
        request: {
          kind: 'permission',
          id: 'per_left_by_dead_worker',
          permission: 'bash',
          patterns: ['ls'],
          always: [],
          metadata: {},
        },
        sessionId: 'ses_gone',
        askedAt: w.clock.date().toISOString(),
        expiresAt,
      },
    ])
    standIn.enqueue(scenario().permission('bash', ['pwd']).text('Done.'))
    let firedAt: number | undefined
    const { events, result } = await run(w.worker, w, async (event) => {
      if (event.type !== 'permission') return
      await w.clock.advance(5000)
      await waitFor(async () =>
        Boolean((await w.messages.load(w.messageId)).requests?.some((r) => r.status === 'expired')),
      )
      firedAt = w.clock.now()
      await waitFor(async () => (await w.messages.load(w.messageId)).requests?.length === 2)
      await w.web.reply(w.messageId, event.request.id, 'once')
    })
    expect(result.status).toBe('completed')
    const stored = (await w.messages.load(w.messageId)).requests ?? []
    expect(stored.map((r) => [r.id.startsWith('per_left') ? 'adopted' : 'new', r.status])).toEqual([
      ['adopted', 'expired'],
      ['new', 'answered'],
    ])
    expect(firedAt).toBe(5000)
    expect(
      resolutions(events).map(([id, r]) => [String(id).startsWith('per_left') ? 'adopted' : 'new', r]),
    ).toEqual([
      ['adopted', 'expired'],
      ['new', 'answered'],
    ])
  })

  it('deny: rejected at once, nobody waits', async () => {
    const w = world({ permissions: 'deny' })
    standIn.enqueue(scenario().permission('bash', ['curl evil.example']).text('Skipped it.'))
    const { events, result } = await run(w.worker, w)
    expect(result.status).toBe('completed')
    const [stored] = (await w.messages.load(w.messageId)).requests ?? []
    expect(stored).toMatchObject({ status: 'rejected', answer: 'reject' })
    expect(resolutions(events)).toEqual([[stored?.id, 'rejected', 'reject']])
    expect(w.clock.now()).toBe(0)
  })

  it('allow: answered "once" at once; questions: deny rejects the question', async () => {
    const w = world({ permissions: 'allow', questions: 'deny' })
    standIn.enqueue(scenario().permission('bash', ['ls']).question('Sure?', ['Yes', 'No']).text('Done.'))
    const { events, result } = await run(w.worker, w)
    expect(result.status).toBe('completed')
    const stored = (await w.messages.load(w.messageId)).requests ?? []
    expect(stored.map((r) => [r.kind, r.status])).toEqual([
      ['permission', 'answered'],
      ['question', 'rejected'],
    ])
    expect(resolutions(events).map(([, resolution]) => resolution)).toEqual(['answered', 'rejected'])
  })

  it('a per-turn policy overrides the kit’s', async () => {
    const w = world({ permissions: 'deny' })
    standIn.enqueue(scenario().permission('bash', ['ls']).text('Done.'))
    const turn = w.worker.startTurn({
      subjectId: w.subjectId,
      messageId: w.messageId,
      prompt: 'Do the thing',
      requests: { permissions: 'allow' },
    })
    expect((await turn.result).status).toBe('completed')
    expect((await w.messages.load(w.messageId)).requests?.[0]).toMatchObject({
      status: 'answered',
      answer: 'once',
    })
  })
})

/** Poll a condition on the event loop (no timers): the turn's request write happens off the stream. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error('condition never became true')
}
