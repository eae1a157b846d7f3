/**
 * Reply ingest: how fast opencode-kit turns SSE bytes into reply parts, against
 *   (a) the limit: raw frame splitting + JSON.parse of every frame, and
 *   (c) what users write by hand today: @opencode-ai/sdk event iteration + accumulating text deltas.
 * (b) is opencode-kit's real path: Client.events (SseDecoder, session filter, deadlines) + Reply.
 * (d) is what an app consumes: a whole turn (startTurn on memory ports) read through turn.events —
 *     the TurnEvent stream must not make streaming slower than (b) (target: within 10 %).
 * Also: scaling over 25k…200k deltas and peak heap growth against the final text size.
 * Run with `npm run bench -- reply`.
 */
import { loadavg } from 'node:os'
import { createOpencodeClient } from '@opencode-ai/sdk'
import type { TurnClient } from '../../packages/core/src/host/Turn.js'
import { Session, startTurn } from '../../packages/core/src/index.js'
import { MemoryMessagePort, MemoryRecordPort } from '../../packages/core/src/testing/index.js'
import { Client, Reply } from '../../packages/core/src/wire/index.js'
import { generateStream, type StreamFixture, serveOverLoopback } from './streamFixture.js'

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

const loopback = await serveOverLoopback()

async function raw(_fixture: StreamFixture): Promise<number> {
  const decoder = new TextDecoder()
  let buffer = ''
  let count = 0
  const response = await fetch(`${loopback.url}/event`)
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let end = buffer.indexOf('\n\n')
    let start = 0
    while (end !== -1) {
      JSON.parse(buffer.slice(start + 6, end))
      count++
      start = end + 2
      end = buffer.indexOf('\n\n', start)
    }
    buffer = buffer.slice(start)
  }
  return count
}

async function ours(_fixture: StreamFixture, onChunk?: () => void): Promise<number> {
  const reply = new Reply()
  // The loopback answers every route with the stream, so the API probe would find no server: pin v1.
  const client = new Client({
    api: 'v1',
    baseUrl: loopback.url,
    fetch: onChunk
      ? async (input, init) => {
          const response = await globalThis.fetch(input, init)
          const reader = response.body!.getReader()
          const body = new ReadableStream<Uint8Array>({
            async pull(controller) {
              const { value, done } = await reader.read()
              onChunk()
              if (done) controller.close()
              else controller.enqueue(value)
            },
          })
          return new Response(body, { headers: response.headers })
        }
      : undefined,
  })
  for await (const event of client.events('ses_bench')) reply.apply(event)
  return reply.result.fullText.length
}

/** A whole turn over the same bytes, consumed through turn.events (prompt and final poll are no-ops). */
async function turnEvents(_fixture: StreamFixture): Promise<number> {
  const wire = new Client({ api: 'v1', baseUrl: loopback.url })
  const client: TurnClient = {
    events: (sessionId, options) => wire.events(sessionId, options),
    prompt: async () => {},
    getMessages: async () => [],
    abortSession: async () => true,
  }
  const records = new MemoryRecordPort()
  const messages = new MemoryMessagePort()
  const session = new Session({
    subject: records.insert({ opencodeSessionId: 'ses_bench' }),
    records,
    client: { ...client, createSession: async () => ({ id: 'ses_bench' }), deleteSession: async () => true },
    permissions: 'server-defaults',
  })
  const turn = startTurn({
    messageId: messages.insert().id,
    messages,
    session,
    client,
    prompt: 'Write a long report',
  })
  let count = 0
  for await (const _event of turn.events) count++
  const result = await turn.result
  if (result.status !== 'completed') throw new Error(`the turn ended ${result.status}`)
  return count
}

async function sdk(_fixture: StreamFixture): Promise<number> {
  // The SDK's SSE client calls the global fetch, so it reads the same bytes over loopback.
  const client = createOpencodeClient({ baseUrl: loopback.url })
  const texts = new Map<string, string>()
  const events = await client.event.subscribe()
  for await (const event of events.stream as AsyncIterable<{
    type: string
    properties: { partID?: string; delta?: string; status?: { type?: string } }
  }>) {
    if (event.type === 'message.part.delta' && event.properties.partID && event.properties.delta) {
      texts.set(event.properties.partID, (texts.get(event.properties.partID) ?? '') + event.properties.delta)
    }
    if (event.type === 'session.status' && event.properties.status?.type === 'idle') break
  }
  return texts.size
}

async function time(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  await fn() // warm-up
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    gc()
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)] as number
}

const loadBefore = loadavg()[0]
const fixture = generateStream(100_000)
loopback.use(fixture)
console.log(
  `stream: ${fixture.deltas} deltas, ${(fixture.bytes / 1e6).toFixed(1)} MB of SSE, ${(fixture.textLength / 1e6).toFixed(1)} MB of text`,
)
// Interleaved rounds, median of each: drift on a shared machine hits all three alike.
const rounds: Record<'raw' | 'ours' | 'sdk' | 'turn', number[]> = { raw: [], ours: [], sdk: [], turn: [] }
// CPU time of the process per run too (the loopback server included, the same bytes for every
// line): on a shared, loaded machine wall time also counts the other processes' turns on the cores.
const cpuRounds: Record<'ours' | 'turn', number[]> = { ours: [], turn: [] }
for (const fn of [raw, ours, sdk, turnEvents]) await fn(fixture) // warm-up
for (let round = 0; round < 9; round++) {
  for (const [name, fn] of [
    ['raw', raw],
    ['ours', ours],
    ['sdk', sdk],
    ['turn', turnEvents],
  ] as const) {
    gc()
    const cpuStart = process.cpuUsage()
    const start = performance.now()
    await fn(fixture)
    rounds[name].push(performance.now() - start)
    const cpu = process.cpuUsage(cpuStart)
    if (name === 'ours' || name === 'turn') cpuRounds[name].push((cpu.user + cpu.system) / 1000)
  }
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
const tRaw = median(rounds.raw)
const tOurs = median(rounds.ours)
const tSdk = median(rounds.sdk)
const tTurn = median(rounds.turn)
console.log(`(a) raw decode + JSON.parse: ${tRaw.toFixed(0)} ms`)
console.log(`(b) opencode-kit client.events + Reply: ${tOurs.toFixed(0)} ms`)
console.log(`(c) @opencode-ai/sdk iteration + text accumulation: ${tSdk.toFixed(0)} ms`)
console.log(`(d) a turn consumed through turn.events: ${tTurn.toFixed(0)} ms`)
const replyVsRaw = tRaw / tOurs
const replyVsSdk = tSdk / tOurs
console.log(
  `throughput (b)/(a) = ${replyVsRaw.toFixed(2)} (target ≥ 0.7), (b)/(c) = ${replyVsSdk.toFixed(2)} (target ≥ 1.2)`,
)
const turnVsReply = tOurs / tTurn
const cpuOurs = median(cpuRounds.ours)
const cpuTurn = median(cpuRounds.turn)
const turnVsReplyCpu = cpuOurs / cpuTurn
console.log(
  `throughput (d)/(b) = ${turnVsReply.toFixed(2)} (target ≥ 0.9: turn.events within 10 % of the ingest); by CPU time ${cpuTurn.toFixed(0)} ms vs ${cpuOurs.toFixed(0)} ms = ${turnVsReplyCpu.toFixed(2)}`,
)

const sizes = [25_000, 50_000, 100_000, 200_000]
const scaling: number[] = []
let previous: number | undefined
let peakRatio = 0
for (const size of sizes) {
  const f = generateStream(size)
  loopback.use(f)
  const t = await time(() => ours(f), 3)
  gc()
  const base = process.memoryUsage().heapUsed
  let peak = base
  let samples = 0
  // Live memory: collect before sampling, so uncollected garbage (V8's young generation alone is
  // 16 MB) does not pass for what the reply holds.
  await ours(f, () => {
    if (++samples % 8 === 0) {
      gc()
      peak = Math.max(peak, process.memoryUsage().heapUsed)
    }
  })
  peak = Math.max(peak, process.memoryUsage().heapUsed)
  const ratio = (peak - base) / f.textLength
  peakRatio = Math.max(peakRatio, ratio)
  console.log(
    `${size} deltas: ${t.toFixed(0)} ms, peak heap growth ${((peak - base) / 1e6).toFixed(1)} MB = ${ratio.toFixed(2)}× the text`,
  )
  if (previous !== undefined) scaling.push(t / previous)
  previous = t
}
const worstSlope = Math.max(...scaling)
console.log(`time ratio per 2× deltas: ${scaling.map((s) => s.toFixed(2)).join(', ')} (target ≤ 2.2)`)

await loopback.close()
console.log(
  JSON.stringify({
    reply_vs_raw_parse: Number(replyVsRaw.toFixed(3)),
    reply_vs_sdk: Number(replyVsSdk.toFixed(3)),
    turn_events_vs_reply: Number(turnVsReply.toFixed(3)),
    turn_events_vs_reply_cpu: Number(turnVsReplyCpu.toFixed(3)),
    scaling_2x_time_ratio: Number(worstSlope.toFixed(3)),
    peak_heap_vs_text: Number(peakRatio.toFixed(3)),
    load_average_1m_before: loadBefore,
    load_average_1m_after: loadavg()[0],
  }),
)
