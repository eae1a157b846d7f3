// The recorded streams and final messages of every supported OpenCode line
// (packages/core/test/fixtures/opencode-<version>/, written by e2e/scripts/record-fixtures.ts), and
// MSW handlers that play one back the way that line's server sent it.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { HttpResponse, http } from 'msw'
import type { OpencodeEvent } from '../../src/index.js'
import type { OpencodeMessage } from '../../src/wire/index.js'
import { unwrapGlobalEventFrame } from '../../src/wire/serverLineDifferences.js'

export const FIXTURES = join(__dirname, '..', 'fixtures')

/** The scenarios every line records (the compatibility table's columns). */
export const SCENARIOS = [
  'plain-text',
  'reasoning',
  'write-tool',
  'todowrite',
  'multi-step',
  'permission-ask',
  'llm-400',
  'llm-500-retries',
  'abort-mid-stream',
  'deleted-session',
] as const
export type ScenarioName = (typeof SCENARIOS)[number]

/** The text of the fake LLM's final answer (e2e/support/fakeLlm.ts). */
export const FINAL = 'All done from the fake model.'

export interface RecordedCall {
  method: string
  path: string
  status: number
  body: unknown
}

export interface Fixture {
  opencodeVersion: string
  scenario: string
  prompt: string
  sessionId: string
  /** The route the events came from: `/event` unless that line's `/event` is broken. */
  eventPath?: '/global/event'
  timedOut?: boolean
  /** Raw SSE frames of `eventPath` (on `/global/event` each wraps its event in `payload`). */
  frames: unknown[]
  /** The events a client sees (frames unwrapped). */
  events: OpencodeEvent[]
  messages: OpencodeMessage[]
  /** What the deleted-session scenario's HTTP calls answered. */
  calls?: RecordedCall[]
}

/** Every recorded release of the legacy API, oldest first (`1.14.48`, …; not the `-v2` recordings). */
export function recordedVersions(): string[] {
  return readdirSync(FIXTURES)
    .filter((name) => /^opencode-\d+\.\d+\.\d+$/.test(name))
    .map((name) => name.slice('opencode-'.length))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
}

/** Which scenarios a line has recorded. */
export function recordedScenarios(version: string): string[] {
  return readdirSync(join(FIXTURES, `opencode-${version}`))
    .filter((file) => file.endsWith('.json') && file !== 'server.json')
    .map((file) => file.replace(/\.json$/, ''))
    .sort()
}

export function loadFixture(version: string, scenario: string): Fixture {
  const raw = JSON.parse(
    readFileSync(join(FIXTURES, `opencode-${version}`, `${scenario}.json`), 'utf8'),
  ) as Omit<Fixture, 'frames' | 'events'> & { events: unknown[] }
  return {
    ...raw,
    frames: raw.events,
    events: raw.events.map((frame) => unwrapGlobalEventFrame(frame) as OpencodeEvent),
  }
}

export function loadServer(version: string): {
  health: { version: string }
  routes: string[]
  eventPath: string
} {
  return JSON.parse(readFileSync(join(FIXTURES, `opencode-${version}`, 'server.json'), 'utf8'))
}

/** An SSE body of `frames`, cut into 61-byte chunks (frames, characters and line ends split everywhere). */
export function sseBody(frames: unknown[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`).join(''))
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 61) controller.enqueue(bytes.slice(i, i + 61))
      controller.close()
    },
  })
}

const sse = (frames: unknown[]) =>
  new HttpResponse(sseBody(frames), { headers: { 'content-type': 'text/event-stream' } })

/** Counters of what the client asked the played-back server. */
export interface PlaybackStats {
  prompts: number
  aborts?: number
  eventConnections: number
  globalEventConnections: number
}

/**
 * MSW handlers that answer like the recorded server of `fixture`'s line for its session: the event
 * stream on the route that line serves it on (`/event` ends right after `server.connected` where it
 * was broken), the prompt's recorded status, the final messages (or the recorded 404).
 */
export function playFixture(base: string, fixture: Fixture, stats: PlaybackStats) {
  const connected = fixture.eventPath
    ? { payload: { type: 'server.connected', properties: {} } }
    : { type: 'server.connected', properties: {} }
  const promptCall = fixture.calls?.find((c) => c.method === 'POST')
  const messagesCall = fixture.calls?.find((c) => c.method === 'GET')
  const id = fixture.sessionId
  return [
    http.get(`${base}/event`, () => {
      stats.eventConnections++
      return fixture.eventPath
        ? sse([{ type: 'server.connected', properties: {} }])
        : sse([connected, ...fixture.frames])
    }),
    http.get(`${base}/global/event`, () => {
      stats.globalEventConnections++
      return sse([connected, ...fixture.frames])
    }),
    http.post(`${base}/session/${id}/prompt_async`, () => {
      stats.prompts++
      return promptCall && promptCall.status !== 204
        ? HttpResponse.json(promptCall.body as object, { status: promptCall.status })
        : new HttpResponse(null, { status: 204 })
    }),
    // Like every line: 200 true, whatever the session's state.
    http.post(`${base}/session/${id}/abort`, () => {
      stats.aborts = (stats.aborts ?? 0) + 1
      return HttpResponse.json(true)
    }),
    http.get(`${base}/session/${id}/message`, () =>
      messagesCall
        ? HttpResponse.json(messagesCall.body as object, { status: messagesCall.status })
        : // Before the prompt the session had no messages; after it, the recorded final ones.
          HttpResponse.json(stats.prompts > 0 ? fixture.messages : []),
    ),
  ]
}
