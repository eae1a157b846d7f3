// Issue 17 step 3: kit.recoverTurns resolves every stalled row through the compare-and-set, never
// over a cancel, never touching a live turn. Against the OpenCode stand-in (the real Client over
// MSW) with the in-memory ports.
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, createOpencodeKit } from '../../src/index.js'
import { MemoryMessagePort, MemoryRecordPort, OpencodeStandIn, scenario } from '../../src/testing/index.js'
import { standInHandlers } from '../../src/testing/msw/index.js'
import { newMessageId } from '../../src/wire/index.js'

const BASE = 'http://recovery.test'
let gate: Promise<void> | undefined
const newStandIn = () => new OpencodeStandIn({ heartbeatMs: 0, pace: () => gate ?? Promise.resolve() })
let standIn = newStandIn()
const server = setupServer(
  ...standInHandlers({ handle: (r: Request) => standIn.handle(r) } as OpencodeStandIn, { baseUrl: BASE }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  standIn.close()
  gate = undefined
  standIn = newStandIn()
})
afterAll(() => server.close())

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))
const PROMPT = 'What is the answer?'
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000)

async function world() {
  const client = new Client({ baseUrl: BASE })
  const records = new MemoryRecordPort()
  const messages = new MemoryMessagePort()
  const kit = createOpencodeKit({
    client,
    records,
    messages,
    permissions: 'server-defaults',
    onError: () => {},
    tuning: { emptyStreamRetryDelayMs: 0, finalExchangeTimeoutMs: 2000, finalExchangeRetryDelayMs: 20 },
  })
  /** A row whose worker died after `stage`: its stamp is two minutes old. */
  const stalled = async (stage: 'before-claim' | 'after-claim' | 'after-prompt') => {
    const session = await client.createSession({})
    const row = messages.insert({ lastActivityAt: minutesAgo(2) })
    if (stage === 'before-claim') return { row, session }
    const id = newMessageId()
    await messages.claimPrompt(row.id, { opencodeSessionId: session.id, opencodeMessageId: id })
    if (stage === 'after-prompt') await client.prompt(session.id, { text: PROMPT, messageId: id })
    return { row, session, id }
  }
  const finished = async (sessionId: string) => {
    for (let i = 0; i < 200; i++) {
      const all = await client.getMessages(sessionId)
      if (all.some((m) => m.info.role === 'assistant' && m.info.time?.completed)) return
      await settle()
    }
    throw new Error('the stand-in never finished')
  }
  return { client, records, messages, kit, stalled, finished }
}

describe('issue 17: kit.recoverTurns', () => {
  it('issue 17 recovery: the exchange ended upstream — finalized with its content and cost, no new prompt', async () => {
    const w = await world()
    standIn.enqueue(scenario().text('Forty-two.').cost(0.03, { input: 7, output: 2 }))
    const { row, session } = await w.stalled('after-prompt')
    await w.finished(session.id)
    const report = await w.kit.recoverTurns({ stalledForMs: 60_000 })
    expect(report).toMatchObject({ found: 1, skipped: 0, failed: [] })
    expect(report.recovered.map((r) => r.status)).toEqual(['completed'])
    expect(await w.messages.load(row.id)).toMatchObject({
      status: 'completed',
      content: 'Forty-two.',
      cost: 0.03,
    })
    expect(standIn.stats.prompts).toBe(1)
  })

  it('issue 17 recovery: the agent is still working — resumed into the row, no new prompt', async () => {
    const w = await world()
    let open: () => void = () => {}
    gate = new Promise<void>((resolve) => {
      open = resolve
    })
    standIn.enqueue(scenario().text('Still working, then done.'))
    const { row } = await w.stalled('after-prompt')
    await settle()
    const recovering = w.kit.recoverTurns()
    await settle()
    gate = undefined
    open()
    const report = await recovering
    expect(report.recovered.map((r) => r.status)).toEqual(['completed'])
    expect(await w.messages.load(row.id)).toMatchObject({
      status: 'completed',
      content: 'Still working, then done.',
    })
    expect(standIn.stats.prompts).toBe(1)
  })

  it('issue 17 recovery: nothing usable upstream — the session is aborted, the row ends error with the fallback', async () => {
    const w = await world()
    const claimedOnly = await w.stalled('after-claim') // the prompt never left
    const neverClaimed = await w.stalled('before-claim')
    const report = await w.kit.recoverTurns()
    expect(report.recovered.map((r) => r.status)).toEqual(['error', 'error'])
    for (const { row } of [claimedOnly, neverClaimed])
      expect(await w.messages.load(row.id)).toMatchObject({
        status: 'error',
        content: 'Sorry, an error occurred while generating this response.',
      })
    expect(standIn.stats.sessionsAborted).toBe(1) // the claimed session (the other has none stored)
    expect(standIn.stats.prompts).toBe(0)
  })

  it('issue 17 recovery: the session is gone upstream — error with the fallback', async () => {
    const w = await world()
    standIn.enqueue(scenario().text('Forty-two.'))
    const { row, session } = await w.stalled('after-prompt')
    await w.finished(session.id)
    await w.client.deleteSession(session.id)
    const report = await w.kit.recoverTurns()
    expect(report.recovered.map((r) => r.status)).toEqual(['error'])
    expect((await w.messages.load(row.id)).status).toBe('error')
  })

  it('issue 17 recovery: live turns, fresh stamps, never-started rows and cancelled rows are never touched', async () => {
    const w = await world()
    const fresh = w.messages.insert({ lastActivityAt: new Date() })
    const neverStarted = w.messages.insert({ lastActivityAt: null })
    const cancelled = w.messages.insert({ status: 'cancelled', lastActivityAt: minutesAgo(10) })
    const before = await Promise.all([fresh, neverStarted, cancelled].map((r) => w.messages.load(r.id)))
    const report = await w.kit.recoverTurns()
    expect(report).toMatchObject({ found: 0, recovered: [], skipped: 0 })
    expect(await Promise.all([fresh, neverStarted, cancelled].map((r) => w.messages.load(r.id)))).toEqual(
      before,
    )
  })

  it('issue 17 recovery: two recoverers racing for one row — one takes the lease, the other skips it', async () => {
    const w = await world()
    standIn.enqueue(scenario().text('Forty-two.'))
    const { row, session } = await w.stalled('after-prompt')
    await w.finished(session.id)
    const [a, b] = await Promise.all([w.kit.recoverTurn(row.id), w.kit.recoverTurn(row.id)])
    expect([a?.status, b?.status].sort()).toEqual(['completed', undefined])
    expect((await w.messages.load(row.id)).status).toBe('completed')
  })

  it('issue 17 recovery: never over a cancel — a row cancelled after the lease stays cancelled', async () => {
    const w = await world()
    standIn.enqueue(scenario().text('Forty-two.'))
    const { row, session } = await w.stalled('after-prompt')
    await w.finished(session.id)
    const finalize = w.messages.finalize.bind(w.messages)
    w.messages.finalize = async (id, fields) => {
      await w.messages.cancel(id) // the user clicks stop just before the recovery's finalize
      return finalize(id, fields)
    }
    const result = await w.kit.recoverTurn(row.id)
    expect(result?.status).toBe('cancelled')
    expect((await w.messages.load(row.id)).status).toBe('cancelled')
  })
})
