/**
 * Records OpenCode's v2 API (`/api/*`) from a REAL `opencode serve` (the pinned version, see
 * support/opencodeServer.ts) into packages/core/test/fixtures/opencode-<version>-v2/, one JSON file
 * per scenario: the live stream (`GET /api/event`, this session's frames plus `server.connected`),
 * the durable session stream (`GET /api/session/:id/event`), the durable log
 * (`GET /api/session/:id/history`), every page of `GET /api/session/:id/message`, and each HTTP
 * call made with its answer. Unit tests replay them through the v2 transport and check the
 * stand-in's v2 play against them.
 *
 * Re-record after bumping `opencode-linux-x64` in the root package.json and OPENCODE_VERSION:
 *   npx tsx e2e/scripts/record-fixtures-v2.ts [scenario …]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ASK_BASH_AGENT, OPENCODE_VERSION, startRealOpencode } from '../support/opencodeServer.js'

interface V2Event {
  id?: string
  type: string
  durable?: { aggregateID: string; seq: number; version: number }
  data?: Record<string, unknown> & { sessionID?: string; id?: string }
}

interface Call {
  method: string
  path: string
  body?: unknown
  status: number
  response: unknown
}

interface Scenario {
  name: string
  prompt: string
  /** Body of `POST /api/session` (default `{}`). */
  session?: Record<string, unknown>
  /** Prompt body fields besides `prompt` (`id`, `delivery`). */
  promptFields?: Record<string, unknown>
  /** Interrupt once this returns true for the live events seen so far. */
  interruptWhen?: (events: V2Event[]) => boolean
  permissionReply?: 'once' | 'always' | 'reject'
  question?: 'reply' | 'reject'
  /** Runs after the turn settled (more calls to record). */
  after?: (ctx: Context) => Promise<void>
}

interface Context {
  sessionId: string
  call: (method: string, path: string, body?: unknown) => Promise<Call>
}

const scenarios: Scenario[] = [
  { name: 'plain-text', prompt: 'Say hello' },
  { name: 'reasoning', prompt: 'Think first [reasoning]' },
  { name: 'write-tool', prompt: 'Write the notes [write notes.md]' },
  { name: 'todowrite', prompt: 'Plan it [todo]' },
  { name: 'multi-step', prompt: 'Run three steps [steps 3]' },
  { name: 'llm-400', prompt: 'Fail please [llm400]' },
  {
    name: 'llm-500-retries',
    prompt: 'Overloaded [llm500]',
    interruptWhen: (events) => events.filter((e) => e.type === 'session.next.retried').length >= 2,
  },
  {
    name: 'interrupt-mid-stream',
    prompt: 'Stream slowly [slow]',
    interruptWhen: (events) => events.filter((e) => e.type === 'session.next.text.delta').length >= 5,
  },
  {
    name: 'permission-ask',
    prompt: 'Run a step [steps 1]',
    session: { agent: ASK_BASH_AGENT },
    permissionReply: 'once',
  },
  {
    name: 'permission-reject',
    prompt: 'Run a step [steps 1]',
    session: { agent: ASK_BASH_AGENT },
    permissionReply: 'reject',
  },
  { name: 'question-answered', prompt: 'Ask me [question]', question: 'reply' },
  { name: 'question-rejected', prompt: 'Ask me [question]', question: 'reject' },
  {
    name: 'idempotent-prompt',
    prompt: 'Say hello',
    promptFields: { id: 'msg_0000000000010000000000000a' },
    after: async ({ sessionId, call }) => {
      // The same id again, after the turn: the first admission wins.
      await call('POST', `/api/session/${sessionId}/prompt`, {
        id: 'msg_0000000000010000000000000a',
        prompt: { text: 'Say hello' },
      })
      await call('GET', `/api/session/${sessionId}/message?limit=1`)
      await call('GET', `/api/session/${sessionId}/history?after=2&limit=2`)
    },
  },
  {
    name: 'deleted-session',
    prompt: 'Say hello',
    after: async ({ sessionId, call }) => {
      // v2 has no delete route: the legacy one removes the session for both APIs.
      await call('DELETE', `/session/${sessionId}`)
      await call('GET', `/api/session/${sessionId}`)
      await call('POST', `/api/session/${sessionId}/prompt`, { prompt: { text: 'Again' } })
      await call('GET', `/api/session/${sessionId}/message`)
      await call('GET', `/api/session/${sessionId}/history`)
      await call('POST', `/api/session/${sessionId}/interrupt`)
      await call('GET', `/api/session/${sessionId}/event`)
    },
  },
]

const outDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'packages',
  'core',
  'test',
  'fixtures',
  `opencode-${OPENCODE_VERSION}-v2`,
)

/** Reads SSE frames (`data:` joined) and counts comment lines (`: heartbeat`). */
function sseReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  let comments = 0
  return {
    get comments() {
      return comments
    },
    async next(): Promise<V2Event | null> {
      for (;;) {
        const end = buffer.indexOf('\n\n')
        if (end >= 0) {
          const lines = buffer.slice(0, end).split('\n')
          buffer = buffer.slice(end + 2)
          comments += lines.filter((line) => line.startsWith(':')).length
          const data = lines
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n')
          if (data) return JSON.parse(data) as V2Event
          continue
        }
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
        if (done) return null
        buffer += value
      }
    },
  }
}

async function record(baseUrl: string, directory: string, scenario: Scenario) {
  const headers = { 'content-type': 'application/json', 'x-opencode-directory': directory }
  const calls: Call[] = []
  const call = async (method: string, path: string, body?: unknown): Promise<Call> => {
    const response = await fetch(baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    }).catch((error: unknown) => ({ status: 0, text: async () => String(error) }) as unknown as Response)
    const text = await response.text().catch(() => '')
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {}
    const entry = {
      method,
      path,
      ...(body === undefined ? {} : { body }),
      status: response.status,
      response: parsed,
    }
    calls.push(entry)
    return entry
  }

  const controller = new AbortController()
  const live = sseReader(
    await fetch(`${baseUrl}/api/event`, {
      headers: { ...headers, accept: 'text/event-stream' },
      signal: controller.signal,
    }),
  )
  const connected = await live.next()
  if (connected?.type !== 'server.connected') throw new Error('no server.connected on /api/event')
  const liveEvents: V2Event[] = [connected]

  const created = await call('POST', '/api/session', scenario.session ?? {})
  const sessionId = (created.response as { data: { id: string } }).data.id
  // The durable stream answers its headers only with its first event: read it in the background.
  const durableEvents: V2Event[] = []
  const durableDone = (async () => {
    const response = await fetch(`${baseUrl}/api/session/${sessionId}/event`, {
      headers: { ...headers, accept: 'text/event-stream' },
      signal: controller.signal,
    }).catch(() => null)
    if (!response) return
    const durable = sseReader(response)
    for (let event = await durable.next(); event; event = await durable.next()) durableEvents.push(event)
  })()

  await call('POST', `/api/session/${sessionId}/prompt`, {
    ...scenario.promptFields,
    prompt: { text: scenario.prompt },
  })

  const settled = (event: V2Event) =>
    (event.type === 'session.next.step.ended' && event.data?.finish !== 'tool-calls') ||
    event.type === 'session.next.step.failed'
  let interrupted = false
  const activeSamples: Array<{ afterSeq: number; active: unknown }> = []
  let lastSeq = 0
  const deadline = Date.now() + 60_000
  for (;;) {
    if (Date.now() > deadline) throw new Error(`${scenario.name}: no end within 60 s`)
    const event = await Promise.race([
      live.next(),
      new Promise<'tick'>((resolve) => setTimeout(() => resolve('tick'), 500)),
    ])
    if (event === null) throw new Error('/api/event ended')
    if (event !== 'tick') {
      if (event.data?.sessionID !== sessionId) continue
      liveEvents.push(event)
      if (event.durable) lastSeq = Math.max(lastSeq, event.durable.seq)
      if (event.type === 'permission.v2.asked' && scenario.permissionReply)
        await call('POST', `/api/session/${sessionId}/permission/${event.data?.id}/reply`, {
          reply: scenario.permissionReply,
        })
      if (event.type === 'question.v2.asked' && scenario.question === 'reply')
        await call('POST', `/api/session/${sessionId}/question/${event.data?.id}/reply`, {
          answers: [['Blue']],
        })
      if (event.type === 'question.v2.asked' && scenario.question === 'reject')
        await call('POST', `/api/session/${sessionId}/question/${event.data?.id}/reject`)
      if (!interrupted && scenario.interruptWhen?.(liveEvents)) {
        interrupted = true
        await call('POST', `/api/session/${sessionId}/interrupt`)
      }
      if (!settled(event)) continue
    }
    // Settled-looking (or quiet): is the session still running? `/api/session/active` is the only
    // "idle" signal 1.18.33's v2 API has (no idle event; `/wait` answers 503). The live stream
    // drops durable events now and then, so the log decides whether the turn settled.
    const active = await fetch(`${baseUrl}/api/session/active`, { headers }).then((r) => r.json())
    const running = Object.hasOwn((active as { data?: object }).data ?? {}, sessionId)
    const logged = (await fetch(`${baseUrl}/api/session/${sessionId}/history?after=0&limit=100`, { headers })
      .then((r) => r.json())
      .then((body: { data?: V2Event[] }) => {
        if (!Array.isArray(body.data)) throw new Error(`history: ${JSON.stringify(body)}`)
        return body.data
      })) as V2Event[]
    lastSeq = Math.max(lastSeq, logged.at(-1)?.durable?.seq ?? 0)
    activeSamples.push({ afterSeq: lastSeq, active: running })
    // A rejected permission ends the run with a failed tool and no step event: "not running after
    // the prompt was promoted" is the end.
    if (!running && logged.some((e) => e.type === 'session.next.prompted')) break
  }
  // Late frames after the end (title, session.updated …).
  const lateUntil = Date.now() + 1000
  while (Date.now() < lateUntil) {
    const event = await Promise.race([
      live.next(),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), lateUntil - Date.now())),
    ])
    if (!event) break
    if (event.data?.sessionID === sessionId) liveEvents.push(event)
  }
  const heartbeats = live.comments

  // The durable log, paged, and every page of messages (newest first).
  const history: V2Event[] = []
  for (let after = 0; ; ) {
    const page = await call('GET', `/api/session/${sessionId}/history?after=${after}&limit=50`)
    const body = page.response as { data: V2Event[]; hasMore: boolean }
    history.push(...body.data)
    if (!body.hasMore || body.data.length === 0) break
    after = body.data.at(-1)?.durable?.seq ?? after
  }
  const messagePages: unknown[] = []
  let cursor: string | undefined
  for (let page = 0; page < 20; page++) {
    const query = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3'
    const result = await call('GET', `/api/session/${sessionId}/message${query}`)
    const body = result.response as { data: unknown[]; cursor?: { next?: string } }
    messagePages.push(body)
    if (!body.cursor?.next || body.data.length < 3) break
    cursor = body.cursor.next
  }
  const messages = (await call('GET', `/api/session/${sessionId}/message`)).response
  const permissions = (await call('GET', `/api/session/${sessionId}/permission`)).response
  const questions = (await call('GET', `/api/session/${sessionId}/question`)).response
  const session = (await call('GET', `/api/session/${sessionId}`)).response
  await scenario.after?.({ sessionId, call })
  controller.abort()
  await durableDone
  return {
    opencodeVersion: OPENCODE_VERSION,
    api: 'v2',
    scenario: scenario.name,
    prompt: scenario.prompt,
    sessionId,
    live: liveEvents,
    heartbeats,
    durable: durableEvents,
    history,
    activeSamples,
    messages,
    messagePages,
    permissions,
    questions,
    session,
    calls,
  }
}

const only = process.argv.slice(2)
const server = await startRealOpencode({ slowDelayMs: 100 })
try {
  mkdirSync(outDir, { recursive: true })
  const directory = server.projectDir
  // The whole OpenAPI document is large (≈480 KB); keep the `/api/*` paths the transport relies on.
  const doc = (await (await fetch(`${server.url}/doc`)).json()) as { paths: Record<string, unknown> }
  writeFileSync(
    join(outDir, 'openapi-paths.json'),
    `${JSON.stringify(
      Object.fromEntries(Object.entries(doc.paths).map(([path, ops]) => [path, Object.keys(ops as object)])),
      null,
      1,
    )}\n`,
  )
  for (const scenario of scenarios) {
    if (only.length > 0 && !only.includes(scenario.name)) continue
    const fixture = await record(server.url, directory, scenario)
    writeFileSync(join(outDir, `${scenario.name}.json`), `${JSON.stringify(fixture, null, 1)}\n`)
    process.stdout.write(
      `recorded ${scenario.name}: ${fixture.live.length} live, ${fixture.durable.length} durable, ${fixture.history.length} logged events\n`,
    )
  }
} finally {
  await server.close()
}
