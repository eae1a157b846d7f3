// The relay against the shared Redis (each test under its own key prefix and connection name).
import type { TurnEvent } from '@opencode-kit/core'
import { ManualClock } from '@opencode-kit/core/testing'
import type { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createRedisRelay,
  finishEventFromRow,
  type RedisRelay,
  type RedisRelayOptions,
  RelayError,
} from '../src/index.js'
import { collect, connectionsNamed, recordErrors, removeKeys, testRedis, turnEvents } from './support.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function setup(options: Partial<RedisRelayOptions> = {}) {
  const { redis, prefix, name } = testRedis()
  const recorded = recordErrors()
  const relay = createRedisRelay({ redis, prefix, onError: recorded.onError, ...options })
  cleanups.push(async () => {
    await relay.close({ timeoutMs: 1000 })
    await removeKeys(redis, prefix)
    redis.disconnect()
  })
  return { redis, prefix, name, relay, errors: recorded.errors }
}

const publishAll = (relay: RedisRelay, messageId: string, events: TurnEvent[]) => {
  for (const event of events) relay.publish(messageId, event)
}

describe('relay-redis: publish and subscribe', () => {
  it('delivers a turn in order, each event once, and ends after the finish', async () => {
    const { relay, errors } = setup()
    const events = turnEvents('m1', 1500)
    publishAll(relay, 'm1', events)
    await relay.flush()
    const seen = await collect(relay.subscribe('m1'))
    expect(seen).toEqual(events)
    expect(errors).toEqual([])
  })

  it('resumes after every seq: the events after it follow, none before it', async () => {
    const { relay } = setup()
    const events = turnEvents('m2', 40)
    publishAll(relay, 'm2', events)
    await relay.flush()
    for (let after = 0; after < events.length; after++) {
      const seen = await collect(relay.subscribe('m2', { after }))
      expect(seen.map((e) => e.seq)).toEqual(events.slice(after).map((e) => e.seq))
    }
  })

  it('follows a running turn live, from before its first event to its finish, on one blocking connection', async () => {
    const { relay, redis, name } = setup()
    const events = turnEvents('m3', 60)
    const subscription = relay.subscribe('m3')
    const seen: TurnEvent[] = []
    const done = (async () => {
      for await (const event of subscription) seen.push(event)
    })()
    for (let i = 0; i < events.length; i += 7) {
      publishAll(relay, 'm3', events.slice(i, i + 7))
      const target = Math.min(events.length, i + 7)
      await vi.waitFor(() => expect(seen.length).toBe(target))
    }
    await done
    expect(seen).toEqual(events)
    // The relay's client only: the subscription's blocking connection closed with its finish.
    await vi.waitFor(async () => expect(await connectionsNamed(redis, name)).toBe(1))
  })

  it('serves many concurrent subscribers of many concurrent turns', async () => {
    const { relay } = setup()
    const turns = Array.from({ length: 10 }, (_, t) => ({ id: `c${t}`, events: turnEvents(`c${t}`, 50) }))
    const subscriptions = turns.flatMap((turn) =>
      Array.from({ length: 8 }, (_, s) => ({
        turn,
        seen: collect(relay.subscribe(turn.id, { after: s * 5 })),
        after: s * 5,
      })),
    )
    // Interleave the turns' publishing, in small steps.
    for (let i = 0; i < 52; i += 4) {
      for (const turn of turns) publishAll(relay, turn.id, turn.events.slice(i, i + 4))
      await relay.flush()
    }
    for (const { turn, seen, after } of subscriptions) expect(await seen).toEqual(turn.events.slice(after))
  })

  it('a slow subscriber does not hold the publisher back, and reads the log at its own pace', async () => {
    const { relay } = setup()
    const events = turnEvents('m4', 3000)
    const slow = relay.subscribe('m4')
    const reading = slow.next()
    publishAll(relay, 'm4', events)
    const first = await reading // then it stops reading for a while
    expect(first.value).toEqual(events[0])
    await relay.flush() // resolves although the subscriber has read one event
    const rest = await collect(slow)
    expect([first.value, ...rest]).toEqual(events)
  })

  it('all waiting subscriptions of a relay share one blocking connection, closed when the last one ends', async () => {
    const { relay, redis, name } = setup()
    const controller = new AbortController()
    const followers = Array.from({ length: 40 }, (_, i) =>
      collect(relay.subscribe(`s${i % 20}`, { signal: controller.signal })),
    )
    await vi.waitFor(async () => expect(await connectionsNamed(redis, name)).toBe(2))
    for (let i = 0; i < 20; i += 2) publishAll(relay, `s${i}`, turnEvents(`s${i}`, 3))
    const finished = await Promise.all(followers.filter((_, i) => (i % 20) % 2 === 0))
    for (const events of finished)
      expect(events.map((e) => e.type)).toEqual(['start', 'text-delta', 'text-delta', 'text-delta', 'finish'])
    expect(await connectionsNamed(redis, name)).toBe(2) // the other twenty still wait
    controller.abort()
    await Promise.all(followers)
    await vi.waitFor(async () => expect(await connectionsNamed(redis, name)).toBe(1))
  })

  it('a consumer that stops reading holds up no other subscription, and later gets all of its events', async () => {
    const { relay } = setup()
    const stalled = relay.subscribe('slow')
    const firstRead = stalled.next()
    const events = turnEvents('slow', 5000)
    publishAll(relay, 'slow', events)
    expect((await firstRead).value).toEqual(events[0])
    // While 'slow' is not read, another turn streams through the same hub.
    const other = turnEvents('fast', 50)
    const fast = collect(relay.subscribe('fast'))
    for (const event of other) relay.publish('fast', event)
    expect(await fast).toEqual(other)
    expect(await collect(stalled)).toEqual(events.slice(1))
  })

  it('return() while a read is pending ends it at once and closes its connection', async () => {
    const { relay, redis, name } = setup({ blockMs: 60_000 })
    const subscription = relay.subscribe('idle')
    const pending = subscription.next()
    await vi.waitFor(async () => expect(await connectionsNamed(redis, name)).toBe(2))
    await subscription.return?.()
    expect(await pending).toEqual({ value: undefined, done: true })
    await vi.waitFor(async () => expect(await connectionsNamed(redis, name)).toBe(1))
  })

  it('an aborted signal ends a pending read at once and closes its connection', async () => {
    const { relay, redis, name } = setup({ blockMs: 60_000 })
    const controller = new AbortController()
    const seen = collect(relay.subscribe('idle', { signal: controller.signal }))
    await vi.waitFor(async () => expect(await connectionsNamed(redis, name)).toBe(2))
    controller.abort()
    expect(await seen).toEqual([])
    await vi.waitFor(async () => expect(await connectionsNamed(redis, name)).toBe(1))
  })

  it('pipe() publishes a whole turn.events iterable', async () => {
    const { relay } = setup()
    const events = turnEvents('m5', 20)
    async function* turn() {
      yield* events
    }
    await relay.pipe('m5', turn())
    await relay.flush()
    expect(await collect(relay.subscribe('m5'))).toEqual(events)
  })

  it('numeric message ids and string ids name the same log', async () => {
    const { relay } = setup()
    const events = turnEvents('42', 3)
    publishAll(relay, '42', events)
    await relay.flush()
    expect(await collect(relay.subscribe(42))).toEqual(events)
  })
})

describe('relay-redis: bounds and expiry', () => {
  it('a running log expires idleTtlSeconds after its latest event; a finished one ttlSeconds after the finish', async () => {
    const { relay, redis, prefix } = setup({ ttlSeconds: 120, idleTtlSeconds: 3000 })
    const events = turnEvents('e1', 5)
    publishAll(relay, 'e1', events.slice(0, -1))
    await relay.flush()
    const running = await redis.pttl(`${prefix}e1`)
    expect(running).toBeGreaterThan(2_990_000)
    expect(running).toBeLessThanOrEqual(3_000_000)
    relay.publish('e1', events.at(-1) as TurnEvent)
    await relay.flush()
    const finished = await redis.pttl(`${prefix}e1`)
    expect(finished).toBeGreaterThan(110_000)
    expect(finished).toBeLessThanOrEqual(120_000)
  })

  it('pushes a running log’s expiry back at most every quarter of idleTtl, not on every write', async () => {
    const clock = new ManualClock()
    const { relay, redis, prefix } = setup({ idleTtlSeconds: 400, clock })
    const events = turnEvents('e0', 5)
    relay.publish('e0', events[0] as TurnEvent)
    await relay.flush()
    expect(await redis.pttl(`${prefix}e0`)).toBeGreaterThan(390_000)
    await redis.persist(`${prefix}e0`) // forget the expiry: only a new PEXPIRE brings it back
    relay.publish('e0', events[1] as TurnEvent)
    await clock.advance(99_999)
    relay.publish('e0', events[2] as TurnEvent)
    await relay.flush()
    expect(await redis.pttl(`${prefix}e0`)).toBe(-1)
    await clock.advance(1)
    relay.publish('e0', events[3] as TurnEvent)
    await relay.flush()
    expect(await redis.pttl(`${prefix}e0`)).toBeGreaterThan(390_000)
  })

  it('an expired log is gone; a subscriber then gets the row’s final state through settled', async () => {
    const { relay, redis, prefix } = setup({ ttlSeconds: 0.05 })
    publishAll(relay, 'e2', turnEvents('e2', 3))
    await relay.flush()
    await vi.waitFor(async () => expect(await redis.exists(`${prefix}e2`)).toBe(0), { timeout: 5000 })
    const row = {
      id: 'e2',
      status: 'completed' as const,
      content: 'the stored reply',
      reasoning: null,
      parts: null,
      toolCalls: null,
      cost: 0.5,
      inputTokens: 1,
      outputTokens: 2,
      cacheReadTokens: null,
      cacheWriteTokens: null,
      lastActivityAt: null,
      opencodeSessionId: null,
      opencodeMessageId: null,
      requests: null,
    }
    const seen = await collect(
      relay.subscribe('e2', { after: 2, settled: async () => finishEventFromRow(row) }),
    )
    expect(seen).toEqual([
      { type: 'restart', seq: 3, reason: 'stream-recovered' },
      {
        type: 'finish',
        seq: 4,
        status: 'completed',
        content: 'the stored reply',
        usage: {
          cost: 0.5,
          inputTokens: 1,
          outputTokens: 2,
          reasoningTokens: 0,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
        },
      },
    ])
  })

  it('a subscriber to a finished turn whose log is alive reads the log, not the row, and opens no blocking connection', async () => {
    const { relay, redis, name } = setup()
    const events = turnEvents('e3', 10)
    publishAll(relay, 'e3', events)
    await relay.flush()
    const settled = vi.fn(async () => null)
    expect(await collect(relay.subscribe('e3', { settled }))).toEqual(events)
    expect(settled).not.toHaveBeenCalled()
    expect(await connectionsNamed(redis, name)).toBe(1)
  })

  it('waits while the row is pending and the log silent, asking settled after each blockMs', async () => {
    const { relay } = setup({ blockMs: 20 })
    let status: 'pending' | 'cancelled' = 'pending'
    let asked = 0
    const settled = async () => {
      asked++
      return status === 'pending'
        ? null
        : { ...(turnEvents('e4', 0).at(-1) as Extract<TurnEvent, { type: 'finish' }>), status, content: null }
    }
    const seen = collect(relay.subscribe('e4', { settled }))
    await vi.waitFor(() => expect(asked).toBeGreaterThanOrEqual(3))
    status = 'cancelled'
    const events = await seen
    expect(events.map((e) => e.type)).toEqual(['restart', 'finish'])
    expect(events[1]).toMatchObject({ status: 'cancelled', seq: 2 })
  })

  it('a settled callback that rejects is reported and counts as "still running"', async () => {
    const { relay, errors } = setup({ blockMs: 20 })
    let calls = 0
    const settled = async () => {
      calls++
      if (calls < 3) throw new Error('database down')
      return null
    }
    const controller = new AbortController()
    const seen = collect(relay.subscribe('e5', { settled, signal: controller.signal }))
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(4))
    controller.abort()
    expect(await seen).toEqual([])
    expect(errors.filter((e) => e.context.operation === 'settled')).toHaveLength(2)
  })

  it('caps a log with MAXLEN ~: a subscriber from the start sees a jump in seq, then the rest in order', async () => {
    const { relay, redis, prefix } = setup({ maxLength: 100 })
    const events = turnEvents('cap', 2000)
    publishAll(relay, 'cap', events)
    await relay.flush()
    const length = await redis.xlen(`${prefix}cap`)
    expect(length).toBeGreaterThanOrEqual(100)
    expect(length).toBeLessThan(400) // approximate trimming removes whole nodes (100 entries each)
    const seen = await collect(relay.subscribe('cap'))
    expect(seen.length).toBe(length)
    expect((seen[0] as TurnEvent).seq).toBeGreaterThan(1)
    expect(seen.map((e) => e.seq)).toEqual(events.slice(events.length - length).map((e) => e.seq))
    expect(seen.at(-1)?.type).toBe('finish')
  })

  it('a full publish queue drops the turn’s further events (reported once) but keeps its finish', async () => {
    // Nothing listens on this port: every write fails until the queue fills.
    const { Redis } = await import('ioredis')
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    })
    down.on('error', () => {})
    const recorded = recordErrors()
    const relay = createRedisRelay({ redis: down, maxQueued: 50, onError: recorded.onError })
    const events = turnEvents('full', 200)
    const started = performance.now()
    publishAll(relay, 'full', events)
    expect(performance.now() - started).toBeLessThan(1000) // publish never waits for Redis
    const operations = recorded.errors.map((e) => e.context.operation)
    expect(operations.filter((o) => o === 'overflow')).toHaveLength(1)
    await vi.waitFor(() => expect(recorded.errors.some((e) => e.context.operation === 'publish')).toBe(true))
    await relay.close({ timeoutMs: 0 })
    expect(recorded.errors.at(-1)?.error.message).toMatch(/closed with 51 events not written/)
    down.disconnect()
  })
})

describe('relay-redis: runs of one message', () => {
  it('a second run of a message (a recovered turn starting again at seq 1) continues the log', async () => {
    const { relay } = setup()
    const first = turnEvents('r1', 5).slice(0, 4) // the worker died: no finish
    publishAll(relay, 'r1', first)
    await relay.flush()
    const browser = relay.subscribe('r1', { after: 4 })
    const second = turnEvents('r1', 3)
    publishAll(relay, 'r1', second)
    await relay.flush()
    const seen = await collect(browser)
    expect(seen.map((e) => [e.type, e.seq])).toEqual([
      ['start', 5],
      ['text-delta', 6],
      ['text-delta', 7],
      ['text-delta', 8],
      ['finish', 9],
    ])
    // Whole log: both runs, numbered on.
    expect((await collect(relay.subscribe('r1'))).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('a new run after a finished one replaces it for new subscribers, numbering on', async () => {
    const { relay } = setup()
    publishAll(relay, 'r2', turnEvents('r2', 2))
    await relay.flush()
    publishAll(relay, 'r2', turnEvents('r2', 1))
    await relay.flush()
    const seen = await collect(relay.subscribe('r2'))
    expect(seen.map((e) => [e.type, e.seq])).toEqual([
      ['start', 5],
      ['text-delta', 6],
      ['finish', 7],
    ])
    expect(seen[0]).toMatchObject({ seq: 5, type: 'start' })
  })

  it('skips (and reports) an entry it did not write, without losing the others', async () => {
    const { relay, redis, prefix, errors } = setup()
    const events = turnEvents('x1', 2)
    relay.publish('x1', events[0] as TurnEvent)
    await relay.flush()
    await redis.xadd(`${prefix}x1`, '0-2', 'e', '{not json')
    relay.publish('x1', { ...(events[2] as TurnEvent), seq: 3 })
    relay.publish('x1', { ...(events[3] as TurnEvent), seq: 4 })
    await relay.flush()
    const seen = await collect(relay.subscribe('x1'))
    expect(seen.map((e) => e.seq)).toEqual([1, 3, 4])
    expect(errors.map((e) => e.context.operation)).toEqual(['malformed'])
    expect(errors[0]?.error).toBeInstanceOf(RelayError)
    expect(errors[0]?.error).toMatchObject({ code: 'relay' })
    expect(errors[0]?.context).toMatchObject({
      feature: 'opencode.relay',
      action: 'malformed',
      messageId: 'x1',
      severity: 'warning',
      handled: true,
    })
  })
})

describe('createRedisRelay options', () => {
  it('rejects a missing client and nonsense bounds with InvalidArgumentError', () => {
    const { redis } = testRedis()
    cleanups.push(async () => void redis.disconnect())
    expect(() => createRedisRelay({ redis: undefined as unknown as Redis })).toThrow(/ioredis client/)
    expect(() => createRedisRelay({ redis, maxLength: 0 })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    )
    expect(() => createRedisRelay({ redis, ttlSeconds: Number.NaN })).toThrow(/ttlSeconds/)
  })

  it('an onError hook that throws or rejects never reaches the relay', async () => {
    const { redis, prefix } = testRedis()
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {})
    cleanups.push(async () => {
      printed.mockRestore()
      await removeKeys(redis, prefix)
      redis.disconnect()
    })
    let calls = 0
    const relay = createRedisRelay({
      redis,
      prefix,
      onError: () => {
        calls++
        if (calls === 1) throw new Error('hook throws')
        return Promise.reject(new Error('hook rejects'))
      },
    })
    await redis.xadd(`${prefix}h`, '0-1', 'e', 'bad')
    await redis.xadd(`${prefix}h`, '0-2', 'e', 'bad')
    relay.publish('h', { ...(turnEvents('h', 0).at(-1) as TurnEvent), seq: 3 })
    await relay.flush()
    expect((await collect(relay.subscribe('h'))).map((e) => e.seq)).toEqual([3])
    expect(calls).toBe(2)
    await vi.waitFor(() => expect(printed).toHaveBeenCalledTimes(2))
  })
})
