/**
 * Records event streams and final messages from a REAL `opencode serve` into
 * packages/core/test/fixtures/opencode-<version>/, one JSON file per scenario, plus `server.json`
 * (the health answer and the routes the server's OpenAPI document lists). Unit tests replay every
 * recorded line through `Reply`, `Client` and `Turn`; the stand-in's shape tests compare against them.
 *
 *   npx tsx e2e/scripts/record-fixtures.ts                     # the pinned version
 *   npx tsx e2e/scripts/record-fixtures.ts --version 1.15.13   # another release (installed into .tools/)
 *   npx tsx e2e/scripts/record-fixtures.ts --version 1.15.13 --out /tmp/x --only plain-text,llm-400
 *
 * When to re-record: CONTRIBUTING.md ("OpenCode versions and recorded fixtures").
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { OPENCODE_VERSION, startRealOpencode } from '../support/opencodeServer.js'

interface RawEvent {
  type: string
  properties: Record<string, unknown> & { sessionID?: string; status?: { type?: string } }
}

/** An HTTP exchange a scenario made besides the prompt (what the deleted-session scenario checks). */
interface RecordedCall {
  method: string
  path: string
  status: number
  body: unknown
}

interface Scenario {
  name: string
  prompt: string
  permission?: Array<{ permission: string; pattern: string; action: string }>
  /** Stop recording (and abort the session) once this returns true. */
  abortWhen?: (events: RawEvent[]) => boolean
  /** Answer permission requests with this reply. */
  permissionReply?: 'once' | 'always' | 'reject'
  /** Delete the session before prompting (the prompt then meets a missing session). */
  deleteFirst?: boolean
}

/** The scenarios, named as the fixture files and the compatibility table's columns. */
const SCENARIOS: Scenario[] = [
  { name: 'plain-text', prompt: 'Say hello' },
  { name: 'reasoning', prompt: 'Think first [reasoning]' },
  { name: 'write-tool', prompt: 'Write the notes [write notes.md]' },
  { name: 'todowrite', prompt: 'Plan it [todo]' },
  { name: 'multi-step', prompt: 'Run three steps [steps 3]' },
  { name: 'llm-400', prompt: 'Fail please [llm400]' },
  {
    name: 'llm-500-retries',
    prompt: 'Overloaded [llm500]',
    abortWhen: (events) =>
      events.filter((e) => e.type === 'session.status' && e.properties.status?.type === 'retry').length >= 2,
  },
  {
    name: 'abort-mid-stream',
    prompt: 'Stream slowly [slow]',
    abortWhen: (events) => events.filter((e) => e.type === 'message.part.delta').length >= 5,
  },
  {
    name: 'permission-ask',
    prompt: 'Run a step [steps 1]',
    permission: [{ permission: 'bash', pattern: '*', action: 'ask' }],
    permissionReply: 'once',
  },
  { name: 'deleted-session', prompt: 'Anyone there?', deleteFirst: true },
]

/** No scenario takes this long on a healthy server: stop and keep what arrived (`timedOut`). */
const SCENARIO_TIMEOUT_MS = 60_000

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '..', '..')

async function call(baseUrl: string, method: string, path: string, body?: unknown): Promise<RecordedCall> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {}
  return { method, path, status: response.status, body: parsed }
}

/** The session an event belongs to, wherever this server version puts it. */
function sessionOf(event: RawEvent): string | undefined {
  const properties = event.properties ?? {}
  const info = properties.info as { sessionID?: string; id?: string } | undefined
  const part = properties.part as { sessionID?: string } | undefined
  return (properties.sessionID ??
    info?.sessionID ??
    part?.sessionID ??
    (event.type.startsWith('session.') ? info?.id : undefined)) as string | undefined
}

/** A raw SSE frame of `path`: `/event` frames are events, `/global/event` frames wrap one in `payload`. */
interface RawFrame extends Partial<RawEvent> {
  directory?: string
  payload?: RawEvent
}

/** Opens an SSE stream and returns a reader of its JSON frames (null at the end of the stream). */
async function openStream(baseUrl: string, path: string, signal: AbortSignal) {
  const stream = await fetch(`${baseUrl}${path}`, { headers: { accept: 'text/event-stream' }, signal })
  const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  return async (): Promise<RawFrame | null> => {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n')
        if (data) return JSON.parse(data) as RawFrame
        continue
      }
      const { value, done } = await reader.read()
      if (done) return null
      buffer += value
    }
  }
}

/**
 * The event stream a client can follow on this server: `/event`, unless it ends right after
 * `server.connected` (1.14.43–1.14.48, anomalyco/opencode#27391) — then `/global/event`.
 */
async function eventPathOf(baseUrl: string): Promise<string> {
  const controller = new AbortController()
  const next = await openStream(baseUrl, '/event', controller.signal)
  await next()
  const second = await Promise.race([next(), new Promise<'open'>((r) => setTimeout(() => r('open'), 1500))])
  controller.abort()
  return second === null ? '/global/event' : '/event'
}

async function record(baseUrl: string, version: string, eventPath: string, scenario: Scenario) {
  const events: RawFrame[] = []
  const calls: RecordedCall[] = []
  const controller = new AbortController()
  const nextFrame = await openStream(baseUrl, eventPath, controller.signal)
  // What a client sees: the frame itself on /event, its payload on /global/event.
  const next = async (): Promise<RawEvent | null> => {
    const frame = await nextFrame()
    if (frame) events.push(frame)
    return frame ? ((frame.payload ?? frame) as RawEvent) : null
  }
  const within = (ms: number) =>
    Promise.race([next(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, ms)))])
  const connected = await next()
  if (connected?.type !== 'server.connected') throw new Error('no server.connected')
  events.length = 0
  const seen: RawEvent[] = []
  const created = await call(baseUrl, 'POST', '/session', {
    title: scenario.name,
    permission: scenario.permission,
  })
  const session = created.body as { id: string }
  if (scenario.deleteFirst) calls.push(await call(baseUrl, 'DELETE', `/session/${session.id}`))
  const prompt = await call(baseUrl, 'POST', `/session/${session.id}/prompt_async`, {
    parts: [{ type: 'text', text: scenario.prompt }],
  })
  calls.push(prompt)
  let aborted = false
  let timedOut = false
  const deadline = Date.now() + (scenario.deleteFirst ? 2000 : SCENARIO_TIMEOUT_MS)
  for (;;) {
    const event = await within(deadline - Date.now())
    if (event === 'timeout') {
      timedOut = !scenario.deleteFirst
      break
    }
    if (!event) break
    const id = sessionOf(event)
    if (event.type !== 'server.connected' && event.type !== 'server.heartbeat' && id !== session.id) {
      events.pop()
      continue
    }
    seen.push(event)
    if (event.type === 'permission.asked' && scenario.permissionReply) {
      await call(baseUrl, 'POST', `/permission/${(event.properties as { id: string }).id}/reply`, {
        reply: scenario.permissionReply,
      })
    }
    if (!aborted && scenario.abortWhen?.(seen)) {
      aborted = true
      await call(baseUrl, 'POST', `/session/${session.id}/abort`, {})
    }
    if (event.type === 'session.idle') break
    if (event.type === 'session.status' && event.properties.status?.type === 'idle' && scenario.deleteFirst)
      break
  }
  // The late session.updated / session.diff / message.updated frames after idle.
  const lateUntil = Date.now() + 500
  while (!timedOut && Date.now() < lateUntil) {
    const event = await within(lateUntil - Date.now())
    if (event === 'timeout' || !event) break
    if (sessionOf(event) !== session.id) events.pop()
  }
  controller.abort()
  const messages = await call(baseUrl, 'GET', `/session/${session.id}/message`)
  if (scenario.deleteFirst) calls.push(messages)
  return {
    opencodeVersion: version,
    scenario: scenario.name,
    prompt: scenario.prompt,
    sessionId: session.id,
    ...(eventPath === '/event' ? {} : { eventPath }),
    ...(timedOut ? { timedOut } : {}),
    ...(scenario.deleteFirst ? { calls } : {}),
    events,
    messages: (messages.status === 200 ? messages.body : []) as unknown[],
  }
}

/** The health answer and every `METHOD /path` of the server's OpenAPI document (for diffs between lines). */
async function describeServer(baseUrl: string) {
  const health = (await call(baseUrl, 'GET', '/global/health')).body
  const doc = (await call(baseUrl, 'GET', '/doc')).body as { paths?: Record<string, Record<string, unknown>> }
  const routes = Object.entries(doc?.paths ?? {})
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
    .sort()
  return { health, routes }
}

async function main() {
  const { values } = parseArgs({
    options: {
      version: { type: 'string', default: OPENCODE_VERSION },
      out: { type: 'string' },
      only: { type: 'string' },
    },
  })
  const version = values.version!
  // Installs .tools/opencode-<version> when it is missing (the pinned one is in node_modules).
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'tools.mjs'), 'opencode', version], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const outDir = values.out ?? join(repoRoot, 'packages', 'core', 'test', 'fixtures', `opencode-${version}`)
  const only = values.only?.split(',')
  const server = await startRealOpencode({ slowDelayMs: 100, version })
  try {
    const eventPath = await eventPathOf(server.url)
    mkdirSync(outDir, { recursive: true })
    const description = { ...(await describeServer(server.url)), eventPath }
    writeFileSync(join(outDir, 'server.json'), `${JSON.stringify(description, null, 1)}\n`)
    for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) {
      const fixture = await record(server.url, version, eventPath, scenario)
      writeFileSync(join(outDir, `${scenario.name}.json`), `${JSON.stringify(fixture, null, 1)}\n`)
      process.stdout.write(
        `recorded ${version} ${scenario.name}: ${fixture.events.length} events, ${fixture.messages.length} messages${fixture.timedOut ? ' (TIMED OUT)' : ''}\n`,
      )
    }
  } finally {
    await server.close()
  }
}

await main()
