// Issue 17 step 1: liveness you can trust. A running turn stamps `lastActivityAt` when it starts,
// with its snapshots, and on a timer while the stream is quiet — within one write per second.
import { describe, expect, it } from 'vitest'
import type { MessagePort } from '../../src/adapter/index.js'
import { runTurn, Session, type TurnOptions } from '../../src/index.js'
import { ManualClock, MemoryMessagePort, MemoryRecordPort } from '../../src/testing/index.js'
import {
  assistantMessage,
  delta,
  FakeTurnClient,
  heartbeat,
  idle,
  userMessage,
} from './support/fakeTurnClient.js'

function world() {
  const records = new MemoryRecordPort()
  const subject = records.insert({ title: 'Alive', opencodeSessionId: 'ses_turn_test' })
  const store = new MemoryMessagePort()
  const message = store.insert()
  const client = new FakeTurnClient()
  client.after = [userMessage('ping'), assistantMessage({ text: 'pong' })]
  const clock = new ManualClock()
  const writes: { method: string; at: number }[] = []
  const messages: MessagePort = Object.create(store)
  messages.touchActivity = async (id, at) => {
    writes.push({ method: 'touchActivity', at: clock.now() })
    return store.touchActivity(id, at)
  }
  messages.snapshot = async (id, fields) => {
    writes.push({ method: 'snapshot', at: clock.now() })
    return store.snapshot(id, fields)
  }
  const session = new Session({ subject, records, client, permissions: 'server-defaults' })
  const options: TurnOptions = {
    messageId: message.id,
    messages,
    session,
    client,
    prompt: 'ping',
    clock,
    emptyStreamRetryDelayMs: 0,
    finalExchangeTimeoutMs: 0,
    finalExchangeRetryDelayMs: 0,
    onError: () => {},
  }
  const stampedAt = async () => (await store.load(message.id)).lastActivityAt?.getTime() ?? null
  return { store, message, client, clock, writes, options, stampedAt }
}

describe('issue 17 liveness', () => {
  it('issue 17 liveness: the row is stamped when the turn starts, before the prompt is sent', async () => {
    const w = world()
    let atPrompt: number | null = null
    w.client.steps = [
      async () => {
        atPrompt = await w.stampedAt()
      },
      delta('pong'),
      idle(),
    ]
    await runTurn(w.options)
    expect(atPrompt).toBe(w.clock.date().getTime() - w.clock.now()) // the start, clock time 0
    expect(w.writes[0]).toEqual({ method: 'touchActivity', at: 0 })
  })

  it('issue 17 liveness: every snapshot stamps the row in the same write', async () => {
    const w = world()
    const seen: (number | null)[] = []
    w.client.steps = [
      delta('one '),
      () => w.clock.advance(1000),
      delta('two '),
      async () => void seen.push(await w.stampedAt()),
      () => w.clock.advance(1000),
      delta('three'),
      async () => void seen.push(await w.stampedAt()),
      idle(),
    ]
    const start = w.clock.date().getTime()
    await runTurn({ ...w.options, livenessIntervalMs: 60_000 })
    expect(seen).toEqual([start + 1000, start + 2000])
    expect(w.writes.filter((x) => x.method === 'touchActivity')).toHaveLength(1) // only the start
  })

  it('issue 17 liveness: a quiet stream (a pending question, a long tool) is stamped on a timer', async () => {
    const w = world()
    const stamps: (number | null)[] = []
    const quiet = Array.from({ length: 6 }, () => [
      () => w.clock.advance(5_000),
      async () => void stamps.push(await w.stampedAt()),
    ]).flat()
    w.client.steps = [...quiet, delta('pong'), idle()]
    const start = w.clock.date().getTime()
    await runTurn({ ...w.options, livenessIntervalMs: 10_000 })
    // Nothing arrives for 30 s: the timer stamps at 10, 20 and 30 s.
    expect(stamps).toEqual([
      start,
      start + 10_000,
      start + 10_000,
      start + 20_000,
      start + 20_000,
      start + 30_000,
    ])
  })

  it('issue 17 liveness: a 60 s streaming turn writes at most once per second', async () => {
    const w = world()
    const steps = []
    for (let i = 0; i < 600; i++) {
      steps.push(delta(`w${i} `), () => w.clock.advance(100))
      if (i % 50 === 0) steps.push(heartbeat())
    }
    w.client.steps = [...steps, idle()]
    await runTurn({ ...w.options, livenessIntervalMs: 10_000 })
    const during = w.writes.filter((x) => x.at > 0)
    expect(during.length).toBeLessThanOrEqual(60)
    for (let second = 0; second < 60; second++)
      expect(
        during.filter((x) => x.at > second * 1000 && x.at <= (second + 1) * 1000).length,
      ).toBeLessThanOrEqual(1)
    // The snapshots are the heartbeat: the timer never had to stamp.
    expect(w.writes.filter((x) => x.method === 'touchActivity')).toHaveLength(1)
  })
})
