// Fault injection: the SSE connection of a real recorded turn (opencode 1.18.33, multi-step tool
// loop) is cut at 200 random byte offsets. The real Client reconnects, events sent while it was
// away are lost (as on the real server), and the Turn must still end `completed` with the
// authoritative content from the final messages — and the prompt must have been sent exactly once.
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Client, type OpencodeEvent, runTurn, Session } from '../../src/index.js'
import { MemoryMessagePort, MemoryRecordPort } from '../../src/testing/index.js'
import type { OpencodeMessage } from '../../src/wire/index.js'

interface Fixture {
  prompt: string
  sessionId: string
  events: OpencodeEvent[]
  messages: OpencodeMessage[]
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/opencode-1.18.33/multi-step.json', import.meta.url), 'utf8'),
) as Fixture
const finalText = fixture.messages
  .filter((m) => m.info?.role === 'assistant')
  .flatMap((m) => m.parts ?? [])
  .filter((p) => p.type === 'text')
  .map((p) => String(p.text))
  .join('\n\n')

const utf8 = new TextEncoder()
const frame = (event: unknown) => `data: ${JSON.stringify(event)}\n\n`
const connected = frame({ type: 'server.connected', properties: {} })

/** A fake OpenCode over `fetch` whose first event stream dies after `cut` bytes of turn events. */
function flakyServer(cut: number, lost: number) {
  const body = fixture.events.map(frame).join('')
  const bytes = utf8.encode(body)
  let prompts = 0
  let streams = 0
  let promptedResolve!: () => void
  const prompted = new Promise<void>((resolve) => {
    promptedResolve = resolve
  })
  const json = (value: unknown, status = 200) =>
    new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } })

  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
    if (url.pathname === '/event') {
      const connection = ++streams
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(utf8.encode(connected))
          await prompted
          if (connection === 1) {
            controller.enqueue(bytes.slice(0, cut))
            controller.error(new TypeError('terminated')) // the socket dropped mid-frame
            return
          }
          // The reconnect sees only what the server emits from now on: `lost` frames are gone. Like
          // the real server it then stays open; if the idle frame was lost, the turn's deadline ends it.
          const rest = body
            .slice(cut)
            .split('\n\n')
            .filter(Boolean)
            .slice(lost + 1)
          if (rest.length > 0) controller.enqueue(utf8.encode(rest.map((f) => `${f}\n\n`).join('')))
        },
      })
      return new Response(stream, { headers: { 'content-type': 'text/event-stream' } })
    }
    if (url.pathname.endsWith('/prompt_async') && method === 'POST') {
      prompts++
      promptedResolve()
      return new Response(null, { status: 204 })
    }
    if (url.pathname.endsWith('/message') && method === 'GET')
      return json(prompts > 0 ? fixture.messages : [])
    if (url.pathname.endsWith('/abort')) return json(true)
    return json({ error: 'unexpected' }, 500)
  }
  return { fetchImpl, bytes, stats: () => ({ prompts, streams }) }
}

async function runFlakyTurn(cut: number, lost: number) {
  const server = flakyServer(cut, lost)
  const client = new Client({ api: 'v1', baseUrl: 'http://opencode.test', fetch: fetchImplOf(server) })
  const records = new MemoryRecordPort()
  const subject = records.insert({ opencodeSessionId: fixture.sessionId })
  const messages = new MemoryMessagePort()
  const message = messages.insert()
  const result = await runTurn({
    messageId: message.id,
    messages,
    session: new Session({ subject, records, client, permissions: 'server-defaults', onError: () => {} }),
    client,
    prompt: fixture.prompt,
    onError: () => {},
    stream: { reconnectDelayMs: 0, overallMs: 250 },
    emptyStreamRetryDelayMs: 0,
    finalExchangeRetryDelayMs: 0,
  })
  return { result, row: await messages.load(message.id), stats: server.stats(), size: server.bytes.length }
}
const fetchImplOf = (server: ReturnType<typeof flakyServer>) => server.fetchImpl as typeof fetch

describe('reliability: SSE cut at random points of a recorded turn', () => {
  const size = utf8.encode(fixture.events.map(frame).join('')).length
  // A cut after the first terminal idle frame arrived needs no reconnect: the turn already ended.
  const terminal = fixture.events.findIndex(
    (e) =>
      e.type === 'session.idle' ||
      (e.type === 'session.status' && (e.properties.status as { type?: string })?.type === 'idle'),
  )
  const idleEnd = utf8.encode(
    fixture.events
      .slice(0, terminal + 1)
      .map(frame)
      .join(''),
  ).length

  it('200 random cuts: every turn completes with the authoritative content, prompt sent once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: size - 1 }),
        fc.integer({ min: 0, max: 5 }),
        async (cut, lost) => {
          const { result, row, stats } = await runFlakyTurn(cut, lost)
          expect(stats.prompts).toBe(1)
          if (cut < idleEnd) expect(stats.streams).toBeGreaterThanOrEqual(2)
          expect(result.status).toBe('completed')
          expect(row.content).toBe(finalText)
          expect(row.toolCalls).toHaveLength(3)
        },
      ),
      { numRuns: 200, seed: 20261124 },
    )
  })
})
