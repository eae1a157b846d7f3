// The whole path without a browser: worker → relay (real Redis) → web server (Hono's Fetch adapter
// or node:http) → the browser reader. Closing the client frees the Redis read; a web server that
// goes away mid-turn costs the reader no event.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { sendTurnEvents, type TurnEvent, turnEventResponse } from '@opencode-kit/core'
import { foldTurnEvent, initialTurnView, readTurnEvents } from '@opencode-kit/core/browser'
import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRedisRelay, type RedisRelay } from '../src/index.js'
import { connectionsNamed, removeKeys, testRedis, turnEvents } from './support.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function setup() {
  const { redis, prefix, name } = testRedis()
  const relay = createRedisRelay({ redis, prefix, blockMs: 60_000 })
  cleanups.push(async () => {
    await relay.close({ timeoutMs: 1000 })
    await removeKeys(redis, prefix)
    redis.disconnect()
  })
  return { redis, name, relay }
}

type Flavour = 'fetch' | 'node'

/** A web server relaying `/events/:id` from Redis, on `port` (0: any). */
async function webServer(
  relay: RedisRelay,
  flavour: Flavour,
  port = 0,
): Promise<{ url: string; stop(): Promise<void> }> {
  let server: Server
  if (flavour === 'fetch') {
    const app = new Hono().get('/events/:id', (c) =>
      turnEventResponse(({ after, signal }) => relay.subscribe(c.req.param('id'), { after, signal }), {
        request: c.req.raw,
      }),
    )
    server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }) as Server
    await new Promise((resolve) => server.once('listening', resolve))
  } else {
    server = createServer((req, res) => {
      const id = decodeURIComponent(req.url?.split('/')[2]?.split('?')[0] ?? '')
      void sendTurnEvents(req, res, ({ after, signal }) => relay.subscribe(id, { after, signal }))
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  }
  const stop = async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  cleanups.push(() => (server.listening ? stop() : undefined))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop }
}

describe.each(['fetch', 'node'] as const)('relay served over SSE (%s)', (flavour) => {
  it('a client that goes away ends the subscription: its blocking Redis connection closes', async () => {
    const { relay, redis, name } = setup()
    const { url } = await webServer(relay, flavour)
    const events = turnEvents('tab', 10)
    for (const event of events.slice(0, 3)) relay.publish('tab', event)
    const tab = new AbortController()
    const seen: TurnEvent[] = []
    const reading = (async () => {
      for await (const event of readTurnEvents(`${url}/events/tab`, { signal: tab.signal })) seen.push(event)
    })()
    await vi.waitFor(() => expect(seen).toHaveLength(3))
    // The subscription now waits in XREAD BLOCK on a connection of its own.
    await vi.waitFor(async () => expect(await connectionsNamed(redis, name)).toBe(2))
    tab.abort()
    await reading
    await vi.waitFor(async () => expect(await connectionsNamed(redis, name)).toBe(1))
  })

  it('the reader loses no event when the web server goes away mid-turn and comes back', async () => {
    const { relay } = setup()
    const first = await webServer(relay, flavour)
    const port = Number(new URL(first.url).port)
    const events = turnEvents('restart', 30)
    let view = initialTurnView
    const seen: TurnEvent[] = []
    const reconnects = vi.fn()
    const reading = (async () => {
      for await (const event of readTurnEvents(`${first.url}/events/restart`, {
        retryDelayMs: 20,
        onReconnect: reconnects,
      })) {
        seen.push(event)
        view = foldTurnEvent(view, event)
      }
    })()
    for (const event of events.slice(0, 12)) relay.publish('restart', event)
    await vi.waitFor(() => expect(seen).toHaveLength(12))
    await first.stop()
    // The turn goes on while no web server is up.
    for (const event of events.slice(12, 25)) relay.publish('restart', event)
    await relay.flush()
    await vi.waitFor(() => expect(reconnects).toHaveBeenCalled())
    await webServer(relay, flavour, port)
    for (const event of events.slice(25)) relay.publish('restart', event)
    await reading
    expect(seen).toEqual(events)
    expect(view.parts).toEqual([
      { kind: 'text', id: 'prt_1', text: (events.at(-1) as { content: string }).content },
    ])
    expect(view).toMatchObject({ status: 'completed', gap: false, lastSeq: 32 })
  })
})
