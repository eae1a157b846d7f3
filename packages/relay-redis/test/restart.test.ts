// Redis going away mid-turn, on a private redis-server this test kills and starts again (the
// shared one is never touched). No persistence: the restart loses every key, like a crashed cache.
import type { TurnEvent } from '@opencode-kit/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type PrivateRedis, startPrivateRedis } from '../../../test-utils/privateRedis.js'
import { createRedisRelay } from '../src/index.js'
import { collect, recordErrors, turnEvents } from './support.js'

let server: PrivateRedis
beforeAll(async () => {
  server = await startPrivateRedis()
})
afterAll(async () => {
  await server?.close()
})

describe('relay-redis: Redis restarts mid-turn', () => {
  it('the turn publishes on while Redis is down; a live subscriber loses no event; failures are reported', async () => {
    const redis = new Redis(server.url)
    redis.on('error', () => {})
    const { errors, onError } = recordErrors()
    const relay = createRedisRelay({ redis, onError })
    const events = turnEvents('restart', 90)
    const seen: TurnEvent[] = []
    const following = (async () => {
      for await (const event of relay.subscribe('restart')) seen.push(event)
    })()

    const before = events.slice(0, 30)
    for (const event of before) relay.publish('restart', event)
    await vi.waitFor(() => expect(seen.length).toBe(30))

    await server.kill()
    // The turn goes on: publishing returns at once and never throws while Redis is gone.
    async function* duringOutage() {
      yield* events.slice(30, 60)
    }
    const started = performance.now()
    await relay.pipe('restart', duringOutage())
    expect(performance.now() - started).toBeLessThan(500)
    await vi.waitFor(() => expect(errors.some((e) => e.context.operation === 'publish')).toBe(true), {
      timeout: 10_000,
    })

    await server.start()
    for (const event of events.slice(60)) relay.publish('restart', event)
    await following
    expect(seen).toEqual(events)

    // The log lost what was written before the crash: a new subscriber sees a jump, then the rest.
    const late = await collect(relay.subscribe('restart'))
    expect(late.map((e) => e.seq)).toEqual(events.slice(30).map((e) => e.seq))

    // The waiting read was sent again by the client once Redis was back: nothing to report there.
    expect(new Set(errors.map((e) => e.context.operation))).toEqual(new Set(['publish']))
    await relay.close()
    redis.disconnect()
  }, 60_000)

  it('while Redis stays down, a waiting subscriber still ends with the row’s outcome through settled', async () => {
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1 })
    redis.on('error', () => {})
    const { onError } = recordErrors()
    const relay = createRedisRelay({ redis, onError, blockMs: 100 })
    const events = turnEvents('gone', 3)
    let finished = false
    const settled = async () =>
      finished
        ? { ...(events.at(-1) as Extract<TurnEvent, { type: 'finish' }>), content: 'from the row' }
        : null
    const seen: TurnEvent[] = []
    const following = (async () => {
      for await (const event of relay.subscribe('gone', { settled })) seen.push(event)
    })()
    for (const event of events.slice(0, 2)) relay.publish('gone', event)
    await vi.waitFor(() => expect(seen).toHaveLength(2))
    await server.kill()
    finished = true // the worker finished the turn and wrote the row; Redis never heard of it
    await following
    expect(seen.map((e) => e.type)).toEqual(['start', 'text-delta', 'restart', 'finish'])
    expect(seen.at(-1)).toMatchObject({ seq: 4, content: 'from the row' })
    await server.start()
    await relay.close({ timeoutMs: 0 })
    redis.disconnect()
  }, 60_000)

  it('a subscriber waiting while Redis is down keeps retrying (reported once) until its signal ends it', async () => {
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1 })
    redis.on('error', () => {})
    const { errors, onError } = recordErrors()
    const relay = createRedisRelay({ redis, onError, blockMs: 100 })
    await server.kill()
    const controller = new AbortController()
    const seen = collect(relay.subscribe('down', { signal: controller.signal }))
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 10_000 })
    controller.abort()
    expect(await seen).toEqual([])
    expect(errors.map((e) => e.context.operation)).toEqual(['subscribe'])
    await server.start()
    await relay.close()
    redis.disconnect()
  }, 60_000)
})
