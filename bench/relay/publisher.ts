// The worker side of the relay benchmark, in its own process: publishes TURNS turns of EVENTS text
// deltas each (plus start and finish), either through the relay (XADD) or with plain PUBLISH.
// Every event carries `sentAt` (epoch ms, sub-ms precision) taken when the worker hands it over.
// Waits for "go" on stdin, prints one JSON line of figures when everything is written.

import { Redis } from 'ioredis'
import type { TurnEvent } from '../../packages/core/src/index.js'
import { createRedisRelay } from '../../packages/relay-redis/src/index.js'

const [mode, prefix, turns, events, intervalMs] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
]
const TURNS = Number(turns)
const EVENTS = Number(events)
const INTERVAL_MS = Number(intervalMs)
const now = () => performance.timeOrigin + performance.now()
const TEXT = 'lorem ipsum dolor sit amet, consectetur '

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
// The throughput phase hands all its events over in a burst of a second or two (far faster than
// a model writes): the queue holds the whole burst, so the figure is the relay's delivery rate and
// not its overflow policy (the default bound, 10 000 events, is for riding out a Redis outage; on a
// loaded machine this burst outgrows it and the relay drops deltas, reported, as documented).
const relay = createRedisRelay({ redis, prefix, ttlSeconds: 60, maxQueued: TURNS * (EVENTS + 2) })

function eventOf(turn: number, seq: number): TurnEvent {
  if (seq === 1)
    return { type: 'start', seq, version: 1, messageId: `t${turn}`, sessionId: 'ses_bench', created: true }
  if (seq === EVENTS + 2) {
    const usage = {
      cost: 0,
      inputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    }
    return { type: 'finish', seq, status: 'completed', content: null, usage }
  }
  return { type: 'text-delta', seq, partId: '0', text: TEXT }
}

function send(turn: number, seq: number): Promise<unknown> | undefined {
  const event = { ...eventOf(turn, seq), sentAt: now() } as unknown as TurnEvent
  if (mode === 'relay') {
    relay.publish(`t${turn}`, event)
    return undefined
  }
  return redis.publish(`${prefix}t${turn}`, JSON.stringify(event))
}

process.stdin.once('data', async () => {
  const started = performance.now()
  const pending: Promise<unknown>[] = []
  for (let seq = 1; seq <= EVENTS + 2; seq++) {
    for (let turn = 0; turn < TURNS; turn++) {
      const sent = send(turn, seq)
      if (sent) pending.push(sent)
    }
    // Paced, or as fast as the worker can while still doing I/O between rounds (a turn's events
    // arrive from the network, never in one synchronous burst).
    await new Promise((resolve) =>
      INTERVAL_MS > 0 ? setTimeout(resolve, INTERVAL_MS) : setImmediate(resolve),
    )
  }
  const handedOver = performance.now() - started
  await Promise.all(pending)
  await relay.flush()
  const written = performance.now() - started
  process.stdout.write(`${JSON.stringify({ handedOverMs: handedOver, writtenMs: written })}\n`)
  await relay.close()
  redis.disconnect()
})
process.stdout.write('ready\n')
