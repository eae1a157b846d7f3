/**
 * Write amplification: how many database writes one turn costs through the MessagePort, with the
 * default snapshot throttle, for a 60 s turn (on a simulated clock) of 10k, 50k and 100k events.
 * Baseline, measured in the same run: a naive host that writes on every event.
 * Target: ≤ 1 snapshot per second of turn time, independent of the event count.
 * Run with `npm run bench -- writeAmplification`.
 */
import type { MessagePort } from '../../packages/core/src/adapter/index.js'
import type { TurnClient } from '../../packages/core/src/host/Turn.js'
import { type OpencodeEvent, runTurn, Session } from '../../packages/core/src/index.js'
import { ManualClock, MemoryMessagePort, MemoryRecordPort } from '../../packages/core/src/testing/index.js'
import type { OpencodeMessage } from '../../packages/core/src/wire/index.js'

const TURN_SECONDS = 60
const SESSION = 'ses_bench'

/** A wire client that plays `count` deltas spread evenly over the turn, on the manual clock. */
function scriptedClient(clock: ManualClock, count: number): TurnClient {
  let prompted = false
  const answer: OpencodeMessage[] = [
    { info: { id: 'msg_u', role: 'user' }, parts: [{ id: 'p_u', type: 'text', text: 'go' }] },
    {
      info: {
        id: 'msg_a',
        role: 'assistant',
        finish: 'stop',
        time: { created: 1, completed: 2 },
        cost: 0.01,
      },
      parts: [{ id: 'p_a', type: 'text', text: 'x'.repeat(count) }],
    },
  ]
  return {
    getMessages: async () => (prompted ? answer : []),
    prompt: async () => {
      prompted = true
    },
    abortSession: async () => true,
    async *events(_sessionId, options = {}) {
      await options.onceConnected?.()
      const step = (TURN_SECONDS * 1000) / count
      for (let i = 0; i < count; i++) {
        await clock.advance(step)
        const event: OpencodeEvent = {
          type: 'message.part.delta',
          properties: { sessionID: SESSION, messageID: 'msg_a', partID: 'p_a', field: 'text', delta: 'x' },
        }
        yield event
      }
      yield { type: 'session.status', properties: { sessionID: SESSION, status: { type: 'idle' } } }
    },
  }
}

async function measure(count: number): Promise<{ snapshots: number; touches: number; terminal: number }> {
  const clock = new ManualClock()
  const records = new MemoryRecordPort()
  const subject = records.insert({ opencodeSessionId: SESSION })
  const store = new MemoryMessagePort()
  const message = store.insert()
  const counts = { snapshots: 0, touches: 0, terminal: 0 }
  const counted = <T>(kind: keyof typeof counts, write: Promise<T>): Promise<T> => {
    counts[kind]++
    return write
  }
  const messages: MessagePort = {
    load: (id) => store.load(id),
    finalize: (id, f) => counted('terminal', store.finalize(id, f)),
    error: (id, c) => counted('terminal', store.error(id, c)),
    cancel: (id) => counted('terminal', store.cancel(id)),
    update: (id, f) => counted('terminal', store.update(id, f)),
    snapshot: (id, f) => counted('snapshots', store.snapshot(id, f)),
    touchActivity: (id, at) => counted('touches', store.touchActivity(id, at)),
    claimPrompt: (id, claim) => counted('terminal', store.claimPrompt(id, claim)),
    claimStalled: (id, lease) => store.claimStalled(id, lease),
    listStalled: (options) => store.listStalled(options),
    updateRequests: (id, expected, next) => counted('terminal', store.updateRequests(id, expected, next)),
  }
  const client = scriptedClient(clock, count)
  const session = new Session({
    subject,
    records,
    client: { ...client, createSession: async () => ({ id: SESSION }), deleteSession: async () => true },
    permissions: 'server-defaults',
  })
  const result = await runTurn({ messageId: message.id, messages, session, client, prompt: 'go', clock })
  if (result.status !== 'completed') throw new Error(`turn ended ${result.status}`)
  return counts
}

const figures: Record<string, number> = {}
console.log(`A ${TURN_SECONDS} s turn (simulated clock), default throttle (1 snapshot/s):`)
console.log('  events    snapshots  activity  terminal  naive writes  writes saved')
for (const count of [10_000, 50_000, 100_000]) {
  const c = await measure(count)
  const writes = c.snapshots + c.touches + c.terminal
  console.log(
    `  ${String(count).padStart(7)}  ${String(c.snapshots).padStart(9)}  ${String(c.touches).padStart(8)}  ${String(c.terminal).padStart(8)}  ${String(count).padStart(12)}  ${(count / writes).toFixed(0).padStart(10)}×`,
  )
  figures[`snapshots_per_second_${count / 1000}k`] = c.snapshots / TURN_SECONDS
  figures[`writes_vs_naive_${count / 1000}k`] = writes / count
}
const perSecond = figures.snapshots_per_second_50k ?? 0
console.log(
  `target: ≤ 1 snapshot per second at 50k events → ${perSecond.toFixed(2)}/s ${perSecond <= 1 ? '✓' : '✗'}`,
)
console.log(JSON.stringify({ snapshots_per_turn_second: perSecond, ...figures }))
