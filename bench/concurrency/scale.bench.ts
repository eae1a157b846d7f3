/**
 * How many turns one worker process holds open at once. A worker runs N concurrent turns
 * (in-memory ports, the real Client) against the paced stand-in in its own process: each turn
 * streams a reply at 20 events/s for ~12 s. Turns start over a 2 s ramp; the measurement window is
 * 5 s in the middle, while all N are open. For each N (100 … 2,000) and each layout — every turn
 * in ONE shared directory (the usual app: one server, one project) or each in its own directory —
 * it prints:
 *
 * - µs of CPU per event (process CPU time in the window ÷ the turns' events in the window) and its
 *   ratio to the floor: the same streams read in the same run with raw `fetch` + split +
 *   `JSON.parse`, one subscription per directory in use (the least any client must do);
 * - event-loop delay p50/p99 in the window (perf_hooks.monitorEventLoopDelay);
 * - heap and RSS per open turn (growth over the idle baseline, after a forced GC);
 * - the knee: the smallest N whose p99 reaches 50 ms.
 *
 * Targets (issue 24): ≤ 1.3× the floor per event; p99 < 50 ms at 1,000 turns × 20 events/s; one
 * shared directory costs the same per event as separate ones.
 *
 * Run with `npm run bench -- scale`. SCALE_N=100,1000 and SCALE_SHARED_N=… choose the sizes.
 */
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Client, Session, startTurn } from '../../packages/core/src/index.js'
import { MemoryMessagePort, MemoryRecordPort } from '../../packages/core/src/testing/memory/index.js'

const SIZES = (process.env.SCALE_N ?? '100,250,500,1000,1500,2000').split(',').map(Number)
const SHARED_SIZES = (process.env.SCALE_SHARED_N ?? process.env.SCALE_N ?? '100,250,500,1000,1500,2000')
  .split(',')
  .map(Number)
const RAMP_MS = 2_000
const WINDOW_START_MS = RAMP_MS + 1_000
const WINDOW_MS = 5_000
const PHASE_LIMIT_MS = 180_000
const OPEN_WAIT_MS = 4_000
const TARGET_P99_MS = 50

type Layout = 'shared' | 'separate'
type Mode = 'library' | 'floor'

interface Point {
  n: number
  layout: Layout
  mode: Mode
  events: number
  eventsPerSecond: number
  usPerEvent: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  heapKbPerTurn: number
  rssKbPerTurn: number
  completed: number
  failed: number
  /** Turns streaming when the window opened (all N on a machine that keeps up). */
  streamingAtWindow: number
  /** How late the window opened because turns were still starting. */
  windowLateMs: number
}

const server = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('./pacedStandIn.ts', import.meta.url))],
  { stdio: ['ignore', 'pipe', 'inherit'] },
)
const url = await new Promise<string>((resolve, reject) => {
  server.stdout.once('data', (chunk) => resolve(String(chunk).trim()))
  server.once('exit', (code) => reject(new Error(`stand-in exited ${code}`)))
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const gc = () => (globalThis as { gc?: () => void }).gc?.()
const directoryOf = (layout: Layout, phase: number, i: number) =>
  layout === 'shared' ? `/bench/p${phase}/shared` : `/bench/p${phase}/d${i}`

/** Counts the turns' events (text deltas: the only events inside the window). */
let counted = 0
/** Turns of the current phase that are streaming (their first delta arrived). */
let streaming = 0

/** One turn through the library: startTurn with in-memory ports, the client of its directory, its events consumed. */
async function libraryTurn(client: Client, i: number, signal: AbortSignal): Promise<boolean> {
  const records = new MemoryRecordPort()
  const messages = new MemoryMessagePort()
  const subject = records.insert({ title: `scale ${i}` })
  const message = messages.insert()
  const session = new Session({ subject, records, client, permissions: 'server-defaults' })
  const turn = startTurn({ messageId: message.id, messages, session, client, prompt: `scale ${i}`, signal })
  let first = true
  for await (const event of turn.events) {
    // One stand-in delta is one word and its space; merged deltas still count one each.
    if (event.type !== 'text-delta') continue
    counted += event.text.split(' ').length - 1
    if (first) streaming++
    first = false
  }
  return (await turn.result).status === 'completed'
}

/** The floor: one raw subscription per directory, split + JSON.parse of every frame. */
class RawSubscription {
  private readonly done = new Map<string, () => void>()
  private readonly controller = new AbortController()
  readonly ready: Promise<void>

  constructor(directory: string) {
    let ready!: () => void
    this.ready = new Promise((resolve) => {
      ready = resolve
    })
    void this.read(directory, ready).catch(() => {})
  }

  finished(sessionId: string): Promise<void> {
    return new Promise((resolve) => this.done.set(sessionId, resolve))
  }

  close() {
    this.controller.abort()
  }

  private async read(directory: string, ready: () => void) {
    const response = await fetch(`${url}/event?directory=${encodeURIComponent(directory)}`, {
      headers: { accept: 'text/event-stream' },
      signal: this.controller.signal,
    })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const utf8 = new TextDecoder()
    let buffer = ''
    ready()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      buffer += utf8.decode(value, { stream: true })
      let end = buffer.indexOf('\n\n')
      while (end !== -1) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        end = buffer.indexOf('\n\n')
        if (!frame.startsWith('data: ')) continue
        const event = JSON.parse(frame.slice(6)) as { type: string; properties: Record<string, unknown> }
        if (event.type === 'message.part.delta') counted++
        else if (event.type === 'session.idle') this.done.get(String(event.properties.sessionID))?.()
      }
    }
  }
}

async function rawTurn(subscription: RawSubscription, directory: string): Promise<boolean> {
  const query = `?directory=${encodeURIComponent(directory)}`
  const created = await fetch(`${url}/session${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  const { id } = (await created.json()) as { id: string }
  const finished = subscription.finished(id)
  await subscription.ready
  streaming++ // the floor's stream is open; its deltas start with the prompt
  await fetch(`${url}/session/${id}/prompt_async${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ parts: [{ type: 'text', text: 'scale' }] }),
  })
  await finished
  return true
}

let phaseNumber = 0
async function phase(n: number, layout: Layout, mode: Mode): Promise<Point> {
  const phaseId = phaseNumber++
  gc()
  await sleep(1_000) // the previous phase's sockets close
  gc()
  const base = process.memoryUsage()
  const limit = new AbortController()
  const limitTimer = setTimeout(() => limit.abort(new Error('phase limit')), PHASE_LIMIT_MS)
  const clients = new Map<string, Client>()
  const subscriptions = new Map<string, RawSubscription>()
  const runOne = async (i: number): Promise<boolean> => {
    const directory = directoryOf(layout, phaseId, i)
    if (mode === 'library') {
      const client = clients.get(directory) ?? new Client({ baseUrl: url, directory })
      clients.set(directory, client)
      return libraryTurn(client, i, limit.signal)
    }
    const subscription = subscriptions.get(directory) ?? new RawSubscription(directory)
    subscriptions.set(directory, subscription)
    return rawTurn(subscription, directory)
  }
  const started = performance.now()
  const turns: Promise<boolean>[] = []
  const launcher = (async () => {
    for (let i = 0; i < n; i++) {
      turns.push(runOne(i).catch(() => false))
      const due = started + ((i + 1) * RAMP_MS) / n
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
    }
  })()
  streaming = 0
  await sleep(Math.max(0, started + WINDOW_START_MS - performance.now()))
  // On a busy machine the ramp can run late: the window waits (up to OPEN_WAIT_MS) until every
  // turn streams, so it measures streaming, not turn starts.
  const waitUntil = performance.now() + OPEN_WAIT_MS
  while (streaming < n && performance.now() < waitUntil) await sleep(50)
  const lateStart = performance.now() - started - WINDOW_START_MS
  // The window: every turn is open and streaming.
  const lag = monitorEventLoopDelay({ resolution: 1 })
  const streamingAtWindow = streaming
  const countedBefore = counted
  const cpuBefore = process.cpuUsage()
  const windowStarted = performance.now()
  lag.enable()
  await sleep(WINDOW_MS)
  lag.disable()
  const windowMs = performance.now() - windowStarted
  const cpu = process.cpuUsage(cpuBefore)
  const events = counted - countedBefore
  gc()
  const during = process.memoryUsage()
  await launcher
  const outcomes = await Promise.all(turns)
  clearTimeout(limitTimer)
  for (const subscription of subscriptions.values()) subscription.close()
  const point: Point = {
    n,
    layout,
    mode,
    events,
    eventsPerSecond: events / (windowMs / 1000),
    usPerEvent: events > 0 ? (cpu.user + cpu.system) / events : Number.POSITIVE_INFINITY,
    p50Ms: lag.percentile(50) / 1e6,
    p99Ms: lag.percentile(99) / 1e6,
    maxMs: lag.max / 1e6,
    heapKbPerTurn: (during.heapUsed - base.heapUsed) / 1024 / n,
    rssKbPerTurn: (during.rss - base.rss) / 1024 / n,
    completed: outcomes.filter(Boolean).length,
    failed: outcomes.filter((ok) => !ok).length,
    streamingAtWindow: streamingAtWindow,
    windowLateMs: Math.max(0, Math.round(lateStart)),
  }
  console.log(
    `  ${mode.padEnd(7)} ${layout.padEnd(8)} N=${String(n).padStart(4)}: ${point.usPerEvent.toFixed(1).padStart(6)} µs/event at ${Math.round(point.eventsPerSecond)} events/s; loop p50 ${point.p50Ms.toFixed(1)} ms p99 ${point.p99Ms.toFixed(1)} ms (max ${point.maxMs.toFixed(0)}); heap ${point.heapKbPerTurn.toFixed(1)} KB/turn, RSS ${point.rssKbPerTurn.toFixed(1)} KB/turn; ${point.completed}/${n} completed; ${point.streamingAtWindow}/${n} streaming at the window${point.windowLateMs > 0 ? ` (opened ${point.windowLateMs} ms late)` : ''}`,
  )
  await sleep(500)
  return point
}

const loadBefore = loadavg()[0]
const points: Point[] = []
try {
  // Warm up (JIT, sockets) before anything is measured.
  await phase(50, 'separate', 'library')
  await phase(50, 'separate', 'floor')
  points.length = 0
  for (const [layout, sizes] of [
    ['separate', SIZES],
    ['shared', SHARED_SIZES],
  ] as const) {
    for (const n of sizes) {
      points.push(await phase(n, layout, 'floor'))
      points.push(await phase(n, layout, 'library'))
    }
  }
} finally {
  server.kill('SIGTERM')
}

const find = (n: number, layout: Layout, mode: Mode) =>
  points.find((p) => p.n === n && p.layout === layout && p.mode === mode)
const ratio = (n: number, layout: Layout) => {
  const library = find(n, layout, 'library')
  const floor = find(n, layout, 'floor')
  return library && floor ? library.usPerEvent / floor.usPerEvent : undefined
}
const knee = (layout: Layout) =>
  points.find((p) => p.layout === layout && p.mode === 'library' && p.p99Ms >= TARGET_P99_MS)?.n ?? null
const headline = SIZES.includes(1000) ? 1000 : Math.max(...SIZES)
const sharedHeadline = SHARED_SIZES.includes(1000) ? 1000 : Math.max(...SHARED_SIZES)

console.log('\nN, layout: library µs/event (ratio to floor), loop p50/p99 ms, heap/RSS KB per turn')
for (const p of points.filter((p) => p.mode === 'library'))
  console.log(
    `  ${String(p.n).padStart(4)} ${p.layout.padEnd(8)} ${p.usPerEvent.toFixed(1).padStart(6)} (${ratio(p.n, p.layout)?.toFixed(2)}×)  ${p.p50Ms.toFixed(1)}/${p.p99Ms.toFixed(1)}  ${p.heapKbPerTurn.toFixed(1)}/${p.rssKbPerTurn.toFixed(1)}`,
  )
const library = find(headline, 'separate', 'library')
const shared = find(sharedHeadline, 'shared', 'library')
const figures = {
  scale_us_per_event: library?.usPerEvent,
  scale_floor_us_per_event: find(headline, 'separate', 'floor')?.usPerEvent,
  scale_ratio_to_floor: ratio(headline, 'separate'),
  scale_shared_us_per_event: shared?.usPerEvent,
  scale_shared_ratio_to_floor: ratio(sharedHeadline, 'shared'),
  scale_shared_vs_separate:
    shared && library && sharedHeadline === headline ? shared.usPerEvent / library.usPerEvent : undefined,
  scale_p50_ms: library?.p50Ms,
  scale_p99_ms: library?.p99Ms,
  scale_shared_p99_ms: shared?.p99Ms,
  scale_heap_kb_per_turn: library?.heapKbPerTurn,
  scale_rss_kb_per_turn: library?.rssKbPerTurn,
  scale_knee_turns: knee('separate'),
  scale_shared_knee_turns: knee('shared'),
  scale_headline_turns: headline,
  // The machine's load: figures taken on a busy shared machine are not comparable.
  load_average_1m_before: loadBefore,
  load_average_1m_after: loadavg()[0],
  scale_points: points,
}
console.log(
  `\nat N=${headline}: ${figures.scale_ratio_to_floor?.toFixed(2)}× the floor (target ≤ 1.3) ${(figures.scale_ratio_to_floor ?? 9) <= 1.3 ? '✓' : '✗'}; p99 ${figures.scale_p99_ms?.toFixed(1)} ms (target < 50) ${(figures.scale_p99_ms ?? 999) < 50 ? '✓' : '✗'}; shared/separate ${figures.scale_shared_vs_separate?.toFixed(2) ?? 'n/a'}`,
)
console.log(JSON.stringify(figures))
