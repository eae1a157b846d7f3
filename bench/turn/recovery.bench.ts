/**
 * Crash-safe turns (issue 17): the liveness write rate of a 60 s turn (simulated clock), streaming
 * and quiet (a pending question: no events at all), against the budget of ≤ 1 write per second;
 * and how long `kit.recoverTurns` takes for 1,000 stalled rows whose exchanges ended upstream (the
 * OpenCode stand-in on a loopback port, the in-memory ports).
 * Run with `npm run bench -- recovery`.
 */
import type { MessagePort } from '../../packages/core/src/adapter/index.js'
import type { TurnClient } from '../../packages/core/src/host/Turn.js'
import { Client, createOpencodeKit, runTurn, Session } from '../../packages/core/src/index.js'
import {
  ManualClock,
  MemoryMessagePort,
  MemoryRecordPort,
  scenario,
  startOpencodeStandIn,
} from '../../packages/core/src/testing/index.js'
import type { OpencodeEvent, OpencodeMessage } from '../../packages/core/src/wire/index.js'
import { newMessageId } from '../../packages/core/src/wire/index.js'

const TURN_SECONDS = 60
const SESSION = 'ses_bench'

/** A client whose stream lasts 60 s: a delta every 100 ms, or (quiet) nothing until the end. */
function scriptedClient(clock: ManualClock, quiet: boolean): TurnClient {
  let prompted = false
  const answer: OpencodeMessage[] = [
    { info: { id: 'msg_u', role: 'user' }, parts: [{ id: 'p_u', type: 'text', text: 'go' }] },
    {
      info: { id: 'msg_a', role: 'assistant', finish: 'stop', time: { created: 1, completed: 2 } },
      parts: [{ id: 'p_a', type: 'text', text: 'done' }],
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
      for (let i = 0; i < TURN_SECONDS * 10; i++) {
        await clock.advance(100)
        if (quiet) continue
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

async function livenessWrites(
  quiet: boolean,
): Promise<{ stamps: number; snapshots: number; maxInOneSecond: number }> {
  const clock = new ManualClock()
  const records = new MemoryRecordPort()
  const subject = records.insert({ opencodeSessionId: SESSION })
  const store = new MemoryMessagePort()
  const message = store.insert()
  const counts = { stamps: 0, snapshots: 0 }
  const times: number[] = []
  const messages: MessagePort = Object.create(store)
  messages.touchActivity = (id, at) => {
    counts.stamps++
    times.push(clock.now())
    return store.touchActivity(id, at)
  }
  messages.snapshot = (id, fields) => {
    counts.snapshots++
    times.push(clock.now())
    return store.snapshot(id, fields)
  }
  const client = scriptedClient(clock, quiet)
  const session = new Session({
    subject,
    records,
    client: { ...client, createSession: async () => ({ id: SESSION }), deleteSession: async () => true },
    permissions: 'server-defaults',
  })
  const result = await runTurn({ messageId: message.id, messages, session, client, prompt: 'go', clock })
  if (result.status !== 'completed') throw new Error(`turn ended ${result.status}`)
  // The budget: at most one write in any window shorter than a second.
  const maxInOneSecond = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length))
  return { ...counts, maxInOneSecond }
}

const figures: Record<string, number> = {}
console.log(`Liveness writes of a ${TURN_SECONDS} s turn (simulated clock, livenessIntervalMs 10 s):`)
for (const quiet of [false, true]) {
  const { stamps, snapshots, maxInOneSecond } = await livenessWrites(quiet)
  const rate = (stamps + snapshots) / TURN_SECONDS
  const name = quiet ? 'quiet' : 'streaming'
  console.log(
    `  ${name.padEnd(9)}  stamps ${String(stamps).padStart(3)}  snapshots ${String(snapshots).padStart(3)}  → ${rate.toFixed(2)} writes/s on average, at most ${maxInOneSecond} in any second ${maxInOneSecond <= 1 ? '✓' : '✗'}`,
  )
  figures[`liveness_writes_per_second_${name}`] = rate
  figures[`liveness_max_writes_in_one_second_${name}`] = maxInOneSecond
}

// Recovery of 1,000 stalled rows whose exchanges ended upstream.
const ROWS = 1000
const standIn = await startOpencodeStandIn({ heartbeatMs: 0 })
try {
  const client = new Client({ baseUrl: standIn.url, api: 'v1' })
  const messages = new MemoryMessagePort()
  const kit = createOpencodeKit({
    client,
    records: new MemoryRecordPort(),
    messages,
    permissions: 'server-defaults',
    onError: () => {},
    tuning: { emptyStreamRetryDelayMs: 0, finalExchangeRetryDelayMs: 20 },
  })
  const stale = new Date(Date.now() - 10 * 60_000)
  for (let start = 0; start < ROWS; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, ROWS - start) }, async () => {
        const session = await client.createSession({})
        const row = messages.insert({ lastActivityAt: stale })
        const id = newMessageId()
        await messages.claimPrompt(row.id, { opencodeSessionId: session.id, opencodeMessageId: id })
        standIn.enqueue(scenario().text('Recovered answer.').cost(0.001, { input: 3, output: 2 }))
        await client.prompt(session.id, { text: 'go', messageId: id })
      }),
    )
  }
  await standIn.idle()
  const promptsBefore = standIn.stats.prompts
  const started = performance.now()
  const report = await kit.recoverTurns({ limit: ROWS, concurrency: 8 })
  const ms = performance.now() - started
  const completed = report.recovered.filter((r) => r.status === 'completed').length
  console.log(
    `Recovery of ${ROWS} stalled rows (ended upstream; stand-in over HTTP, memory ports, concurrency 8): ${ms.toFixed(0)} ms, ${completed} completed, ${report.skipped} skipped, ${report.failed.length} failed, prompts sent by recovery ${standIn.stats.prompts - promptsBefore}`,
  )
  figures.recovery_ms_1000_rows = Math.round(ms)
  figures.recovery_completed_1000_rows = completed
} finally {
  await standIn.close()
}
console.log(JSON.stringify(figures))
