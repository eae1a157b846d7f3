/**
 * Records event streams and final messages from a REAL `opencode serve` (the pinned version, see
 * support/opencodeServer.ts) into packages/core/test/fixtures/opencode-<version>/, one JSON file per
 * scenario. Unit tests replay them through `Reply`, so protocol drift shows up when the pinned
 * OpenCode version is bumped.
 *
 * Re-record after bumping `opencode-linux-x64` in the root package.json and OPENCODE_VERSION:
 *   npx tsx e2e/scripts/record-fixtures.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { OPENCODE_VERSION, startRealOpencode } from '../support/opencodeServer.js'

interface RawEvent {
  type: string
  properties: Record<string, unknown> & { sessionID?: string; status?: { type?: string } }
}

interface Scenario {
  name: string
  prompt: string
  permission?: Array<{ permission: string; pattern: string; action: string }>
  /** Stop recording (and abort the session) once this returns true. */
  abortWhen?: (events: RawEvent[]) => boolean
  /** Answer permission requests with this reply. */
  permissionReply?: 'once' | 'always' | 'reject'
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
]

const outDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'packages',
  'core',
  'test',
  'fixtures',
  `opencode-${OPENCODE_VERSION}`,
)

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  return text ? JSON.parse(text) : null
}

async function record(baseUrl: string, scenario: Scenario) {
  const events: RawEvent[] = []
  const controller = new AbortController()
  const stream = await fetch(`${baseUrl}/event`, {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  })
  const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  const next = async (): Promise<RawEvent | null> => {
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
        if (data) return JSON.parse(data) as RawEvent
        continue
      }
      const { value, done } = await reader.read()
      if (done) return null
      buffer += value
    }
  }
  const connected = await next()
  if (connected?.type !== 'server.connected') throw new Error('no server.connected')
  const session = (await post(`${baseUrl}/session`, {
    title: scenario.name,
    permission: scenario.permission,
  })) as { id: string }
  await post(`${baseUrl}/session/${session.id}/prompt_async`, {
    parts: [{ type: 'text', text: scenario.prompt }],
  })
  let aborted = false
  for (;;) {
    const event = await next()
    if (!event) break
    const id = (event.properties.sessionID ??
      (event.properties.info as { sessionID?: string } | undefined)?.sessionID ??
      (event.properties.part as { sessionID?: string } | undefined)?.sessionID) as string | undefined
    if (event.type !== 'server.connected' && event.type !== 'server.heartbeat' && id !== session.id) continue
    events.push(event)
    if (event.type === 'permission.asked' && scenario.permissionReply) {
      await post(`${baseUrl}/permission/${(event.properties as { id: string }).id}/reply`, {
        reply: scenario.permissionReply,
      })
    }
    if (!aborted && scenario.abortWhen?.(events)) {
      aborted = true
      await post(`${baseUrl}/session/${session.id}/abort`, {})
    }
    if (event.type === 'session.idle') break
  }
  // The late session.updated / session.diff / message.updated frames after idle.
  const lateUntil = Date.now() + 500
  while (Date.now() < lateUntil) {
    const event = await Promise.race([
      next(),
      new Promise<null>((r) => setTimeout(() => r(null), lateUntil - Date.now())),
    ])
    if (!event) break
    if ((event.properties.sessionID ?? null) === session.id) events.push(event)
  }
  controller.abort()
  const messages = await (await fetch(`${baseUrl}/session/${session.id}/message`)).json()
  return {
    opencodeVersion: OPENCODE_VERSION,
    scenario: scenario.name,
    prompt: scenario.prompt,
    sessionId: session.id,
    events,
    messages,
  }
}

const server = await startRealOpencode({ slowDelayMs: 100 })
try {
  mkdirSync(outDir, { recursive: true })
  for (const scenario of scenarios) {
    const fixture = await record(server.url, scenario)
    writeFileSync(join(outDir, `${scenario.name}.json`), `${JSON.stringify(fixture, null, 1)}\n`)
    process.stdout.write(
      `recorded ${scenario.name}: ${fixture.events.length} events, ${fixture.messages.length} messages\n`,
    )
  }
} finally {
  await server.close()
}
