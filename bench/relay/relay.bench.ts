// The relay's cost, measured against plain Redis pub/sub in the same run. 100 concurrent turns go
// from a worker process (publisher.ts) through Redis to a web server (node:http + sendTurnEvents)
// and on to 100 browser-side readers (readTurnEvents over fetch, as a page would run it):
//   throughput — every turn publishes 300 text deltas as fast as it can: events/s delivered to the
//                readers, end to end;
//   latency    — every turn publishes a delta each 25 ms (4 000 events/s in all): p50/p99 from the
//                worker handing the event over (relay.publish → XADD, or PUBLISH) to the reader
//                yielding it.
// The pub/sub baseline fans out from one SUBSCRIBE connection and has no log: no resume, no late
// joiners, nothing kept if a reader is slow; it is the floor the relay's guarantees cost against.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { readTurnEvents } from '../../packages/core/src/browser/index.js'
import { sendTurnEvents, type TurnEvent } from '../../packages/core/src/index.js'
import { createRedisRelay, type RedisRelay } from '../../packages/relay-redis/src/index.js'
import { redisUrl } from '../../test-utils/services.js'

const TURNS = 100
const PHASES = [
  { name: 'throughput', events: 300, intervalMs: 0 },
  { name: 'latency', events: 100, intervalMs: 25 },
] as const
type Mode = 'relay' | 'pubsub'

const url = redisUrl()
const now = () => performance.timeOrigin + performance.now()

/** A pub/sub fan-out: one SUBSCRIBE connection, a listener per SSE connection. */
function pubsubHub(prefix: string) {
  const subscriber = new Redis(url)
  const listeners = new Map<string, Set<(event: TurnEvent) => void>>()
  let subscribed = 0
  subscriber.on('message', (channel: string, message: string) => {
    const event = JSON.parse(message) as TurnEvent
    for (const listener of listeners.get(channel) ?? []) listener(event)
  })
  return {
    get subscribed() {
      return subscribed
    },
    source(turn: string): AsyncIterable<TurnEvent> {
      const channel = `${prefix}${turn}`
      const queue: TurnEvent[] = []
      let wake: (() => void) | undefined
      let done = false
      const listener = (event: TurnEvent) => {
        queue.push(event)
        wake?.()
      }
      if (!listeners.has(channel)) {
        listeners.set(channel, new Set())
        void subscriber.subscribe(channel).then(() => subscribed++)
      }
      listeners.get(channel)?.add(listener)
      const release = () => {
        done = true
        listeners.get(channel)?.delete(listener)
        wake?.()
      }
      return {
        [Symbol.asyncIterator]: () => ({
          async next(): Promise<IteratorResult<TurnEvent>> {
            for (;;) {
              const event = queue.shift()
              if (event) return { value: event, done: false }
              if (done) return { value: undefined, done: true }
              await new Promise<void>((resolve) => {
                wake = resolve
              })
            }
          },
          async return() {
            release()
            return { value: undefined, done: true }
          },
        }),
      }
    },
    close: () => subscriber.disconnect(),
  }
}

async function webServer(mode: Mode, relay: RedisRelay, hub: ReturnType<typeof pubsubHub>) {
  let requests = 0
  const server: Server = createServer((req, res) => {
    requests++
    const turn = req.url?.split('/')[2] ?? ''
    void sendTurnEvents(req, res, ({ after, signal }) =>
      mode === 'relay' ? relay.subscribe(turn, { after, signal }) : hub.source(turn),
    )
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return requests
    },
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(resolve))
    },
  }
}

function startPublisher(mode: Mode, prefix: string, events: number, intervalMs: number) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./publisher.ts', import.meta.url)),
      mode,
      prefix,
      String(TURNS),
      String(events),
      String(intervalMs),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, REDIS_URL: url } },
  )
  let output = ''
  const lines: string[] = []
  const waiters: Array<() => void> = []
  child.stdout.on('data', (chunk) => {
    output += String(chunk)
    const parts = output.split('\n')
    output = parts.pop() ?? ''
    lines.push(...parts)
    for (const wake of waiters.splice(0)) wake()
  })
  const line = async (): Promise<string> => {
    while (lines.length === 0) await new Promise<void>((resolve) => waiters.push(resolve))
    return lines.shift() as string
  }
  return { child, line }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN

async function run(mode: Mode, events: number, intervalMs: number) {
  const prefix = `bench-relay-${randomBytes(4).toString('hex')}:`
  const redis = new Redis(url)
  const relay = createRedisRelay({ redis, prefix })
  const hub = pubsubHub(prefix)
  const web = await webServer(mode, relay, hub)
  const publisher = startPublisher(mode, prefix, events, intervalMs)
  if ((await publisher.line()) !== 'ready') throw new Error('publisher did not start')

  const latencies: number[] = []
  let delivered = 0
  const readers = Array.from({ length: TURNS }, async (_, turn) => {
    for await (const event of readTurnEvents(`${web.url}/events/t${turn}`)) {
      delivered++
      const sentAt = (event as TurnEvent & { sentAt?: number }).sentAt
      if (event.type === 'text-delta' && sentAt) latencies.push(now() - sentAt)
    }
  })
  // Everyone listens before the first event (pub/sub would lose anything earlier).
  while (web.requests < TURNS || (mode === 'pubsub' && hub.subscribed < TURNS))
    await new Promise((resolve) => setTimeout(resolve, 10))

  const started = performance.now()
  publisher.child.stdin.write('go\n')
  await Promise.all(readers)
  const seconds = (performance.now() - started) / 1000
  const worker = JSON.parse(await publisher.line()) as { handedOverMs: number; writtenMs: number }
  publisher.child.kill()
  await web.close()
  await relay.close()
  hub.close()
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()

  latencies.sort((a, b) => a - b)
  const total = TURNS * (events + 2)
  return {
    eventsPerSecond: delivered / seconds,
    lost: total - delivered,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    workerHandOverMs: worker.handedOverMs,
  }
}

// RELAY_ROUNDS=1 for a quick run on a busy machine (the medians then are single rounds).
const ROUNDS = Number(process.env.RELAY_ROUNDS ?? 3)
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
type Result = Awaited<ReturnType<typeof run>>
const summary = (results: Result[]) => ({
  eventsPerSecond: median(results.map((r) => r.eventsPerSecond)),
  p50: median(results.map((r) => r.p50)),
  p99: median(results.map((r) => r.p99)),
  lost: results.reduce((sum, r) => sum + r.lost, 0),
  workerHandOverMs: median(results.map((r) => r.workerHandOverMs)),
})

// The machine's load next to the figures: on shared cores, latency tails follow it.
const figures: Record<string, number> = { load_average_1m_before: loadavg()[0] as number }
for (const phase of PHASES) {
  // Interleaved rounds, medians: the machine's other load hits both modes alike.
  const rounds: Record<Mode, Result[]> = { relay: [], pubsub: [] }
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (['pubsub', 'relay'] as const) : (['relay', 'pubsub'] as const))
      rounds[mode].push(await run(mode, phase.events, phase.intervalMs))
  }
  const relay = summary(rounds.relay)
  const pubsub = summary(rounds.pubsub)
  console.log(
    `${phase.name}: ${TURNS} turns × ${phase.events + 2} events${phase.intervalMs ? `, one per ${phase.intervalMs} ms per turn` : ''} (median of ${ROUNDS})`,
  )
  for (const [name, r] of [
    ['relay ', relay],
    ['pubsub', pubsub],
  ] as const) {
    console.log(
      `  ${name}  ${Math.round(r.eventsPerSecond)} events/s delivered, latency p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms, lost ${r.lost}, worker hand-over ${r.workerHandOverMs.toFixed(0)} ms`,
    )
  }
  figures.relay_lost_events = (figures.relay_lost_events ?? 0) + relay.lost
  if (phase.name === 'throughput') {
    figures.relay_events_per_second = relay.eventsPerSecond
    figures.pubsub_events_per_second = pubsub.eventsPerSecond
    figures.relay_vs_pubsub_throughput = relay.eventsPerSecond / pubsub.eventsPerSecond
  } else {
    figures.relay_latency_p50_ms = relay.p50
    figures.relay_latency_p99_ms = relay.p99
    figures.pubsub_latency_p50_ms = pubsub.p50
    figures.pubsub_latency_p99_ms = pubsub.p99
    figures.relay_added_latency_p50_ms = relay.p50 - pubsub.p50
    figures.relay_added_latency_p99_ms = relay.p99 - pubsub.p99
  }
}
figures.load_average_1m_after = loadavg()[0] as number
figures.rounds = ROUNDS
console.log(JSON.stringify(figures))
process.exit(0)
