import { randomBytes } from 'node:crypto'
import type { ErrorContext, TurnEvent } from '@opencode-kit/core'
import { Redis } from 'ioredis'
import { redisUrl } from '../../../test-utils/services.js'

/**
 * A client of the shared Redis whose connections carry a name unique to the test, so the test can
 * count the connections the relay opened (and closed) without seeing anyone else's.
 */
export function testRedis(url = redisUrl()): { redis: Redis; prefix: string; name: string } {
  const name = `relaytest-${randomBytes(6).toString('hex')}`
  return { redis: new Redis(url, { connectionName: name }), prefix: `${name}:`, name }
}

/** Connections currently open under `name` (the relay's client and its blocking readers). */
export async function connectionsNamed(redis: Redis, name: string): Promise<number> {
  const list = (await redis.client('LIST')) as string
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length
}

/** Delete every key under the test's prefix. */
export async function removeKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis.del(...keys)
  } while (cursor !== '0')
}

/** A turn of `deltas` text deltas between a start and a finish: seq 1 … deltas + 2. */
export function turnEvents(messageId: string, deltas: number, text = (i: number) => `t${i} `): TurnEvent[] {
  const events: TurnEvent[] = [
    { type: 'start', seq: 1, version: 1, messageId, sessionId: 'ses_test', created: true },
  ]
  for (let i = 0; i < deltas; i++)
    events.push({ type: 'text-delta', seq: i + 2, partId: 'prt_1', text: text(i) })
  events.push({
    type: 'finish',
    seq: deltas + 2,
    status: 'completed',
    content: Array.from({ length: deltas }, (_, i) => text(i)).join(''),
    usage: {
      cost: 0.001,
      inputTokens: 10,
      outputTokens: 20,
      reasoningTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    },
  })
  return events
}

/** Everything a subscription yields, until it ends. */
export async function collect(events: AsyncIterable<TurnEvent>): Promise<TurnEvent[]> {
  const seen: TurnEvent[] = []
  for await (const event of events) seen.push(event)
  return seen
}

/** An onError hook that records what it is told; `context.operation` is the relay's `action`. */
export function recordErrors() {
  const errors: Array<{ error: Error; context: ErrorContext & { operation: unknown } }> = []
  return {
    errors,
    onError: (error: unknown, context: ErrorContext) =>
      void errors.push({ error: error as Error, context: { ...context, operation: context.action } }),
  }
}
