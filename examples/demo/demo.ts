// `npm run demo`: one full turn, end to end, on the embedded default — a SQLite file (knex
// adapter), attachments on the filesystem (storage-fs) and the built-in OpenCode stand-in — or on
// a real server when OPENCODE_URL (or --url) is set. Prints the turn live as a user would watch it.
import { mkdirSync, rmSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { knexAdapter, opencodeMigrations } from '@opencode-kit/adapter-knex'
import { Client, ConnectionError, createOpencodeKit, OpencodeError } from '@opencode-kit/core'
import { scenario, startOpencodeStandIn } from '@opencode-kit/core/testing'
import { fsStorage } from '@opencode-kit/storage-fs'
import knexFactory from 'knex'

const HELP = `Usage: npm run demo [-- options]

Runs one agent turn end to end and shows it live: streamed text, tool calls, todos, then the
status, duration, cost and the artifacts the agent wrote.

By default everything is embedded: a SQLite file and an artifacts directory under .demo/, and the
built-in OpenCode stand-in (a scripted server speaking OpenCode's real HTTP + SSE API).

Options:
  --url <url>       a real OpenCode server (default: $OPENCODE_URL, else the built-in stand-in)
  --prompt <text>   what to ask (default: a trip-planning request that writes a file); the
                    stand-in has no model: it answers other prompts with a scripted reply
  --dir <path>      where the SQLite file and artifacts go (default: .demo)
  --fresh           delete --dir first
  --no-color        plain output
  -h, --help        this text

Exit codes: 0 completed, 1 the turn did not complete, 2 bad usage or OpenCode unreachable.`

const DEFAULT_PROMPT = 'Plan a weekend in Lisbon and write the itinerary to itinerary.md'

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        url: { type: 'string' },
        prompt: { type: 'string' },
        dir: { type: 'string', default: '.demo' },
        fresh: { type: 'boolean', default: false },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (error) {
    fail(`${(error as Error).message}\n\n${HELP}`)
  }
})()

const color = !values['no-color'] && process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code: string) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
const dim = paint('2')
const bold = paint('1')
const green = paint('32')
const red = paint('31')
const cyan = paint('36')
const yellow = paint('33')
const out = (text: string) => process.stdout.write(text)

function fail(message: string, code = 2): never {
  process.stderr.write(`demo: ${message}\n`)
  process.exit(code)
}

if (values.help) {
  out(`${HELP}\n`)
  process.exit(0)
}

const dir = resolve(values.dir ?? '.demo')
if (values.fresh) rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })

// ── OpenCode: a real server, or the stand-in scripted like a real agent turn ─────────────────────
const url = values.url ?? process.env.OPENCODE_URL
let standIn: Awaited<ReturnType<typeof startOpencodeStandIn>> | undefined
if (url) {
  try {
    new URL(url)
  } catch {
    fail(`not a URL: ${url}`)
  }
} else {
  standIn = await startOpencodeStandIn({
    // Paced like a model streaming tokens, so the demo shows the reply arriving.
    pace: () => new Promise((resolve) => setTimeout(resolve, 12)),
    respond: ({ text }) => (text === DEFAULT_PROMPT ? lisbonWeekend() : scriptedAnswer(text)),
  })
}
/** The default prompt's turn, scripted like a real agent turn (reasoning, todos, a file, the answer). */
function lisbonWeekend() {
  return scenario()
    .reasoning('The user wants a weekend plan. I will track the steps, write the file, then summarize.')
    .todo([
      { content: 'Pick neighbourhoods', status: 'completed' },
      { content: 'Write itinerary.md', status: 'in_progress' },
    ])
    .cost(0.000412, { input: 1840, output: 96 })
    .write(
      'itinerary.md',
      '# Lisbon weekend\n\n## Saturday\n- Alfama walk, Castelo de São Jorge\n- Dinner in Bairro Alto\n\n## Sunday\n- Belém: tower, monastery, pastéis\n- Sunset at Miradouro da Senhora do Monte\n',
    )
    .text(
      'Here is your Lisbon weekend: Saturday in Alfama and Bairro Alto, Sunday in Belém with a ' +
        'sunset at the Senhora do Monte viewpoint. The full plan is in itinerary.md.',
    )
    .cost(0.000655, { input: 2210, output: 142 })
}

/**
 * Any other prompt: the stand-in has no model, so it says so, and plays the same kind of turn
 * around the prompt — writing the file the prompt names (`… to notes.md`), if any.
 */
function scriptedAnswer(prompt: string) {
  const file = prompt.match(/[\w-]+\.(?:md|txt|json|csv|html|ts|js|py|yaml|yml)\b/)?.[0]
  const start = scenario().reasoning(
    'I am the built-in stand-in, not a model: I play a scripted turn around the prompt.',
  )
  const turn = file
    ? start
        .todo([{ content: `Write ${file}`, status: 'in_progress' }])
        .write(
          file,
          `# ${file}\n\nWritten by the opencode-kit demo's stand-in for the prompt:\n\n> ${prompt}\n`,
        )
    : start
  return turn
    .text(
      `(scripted) You asked: "${prompt}". This answer comes from the built-in stand-in, which has no ` +
        `model${file ? ` — it wrote ${file} to show the artifact pipeline` : ''}. Point the demo at a real ` +
        '`opencode serve` (OPENCODE_URL or --url) for a real answer.',
    )
    .cost(0.000212, { input: 640, output: 58 })
}

const baseUrl = url ?? standIn?.url ?? ''
const client = new Client({ baseUrl })
try {
  await client.health({ timeoutMs: 5000 })
} catch (error) {
  await standIn?.close()
  const why = error instanceof ConnectionError ? 'nothing answers there' : (error as Error).message
  fail(`cannot reach OpenCode at ${baseUrl}: ${why}`)
}

// ── The host app's side: a database, the ports, a storage ────────────────────────────────────────
const databaseFile = join(dir, 'demo.sqlite')
const knex = knexFactory({
  client: 'better-sqlite3',
  connection: { filename: databaseFile },
  useNullAsDefault: true,
})
await knex.migrate.latest({ migrationSource: opencodeMigrations(), tableName: 'opencode_kit_migrations' })
const artifactsRoot = join(dir, 'artifacts')
const storage = fsStorage({ root: artifactsRoot })
// Configured once: the client, the adapter's ports, storage and the permission policy.
const kit = createOpencodeKit({
  client,
  ...knexAdapter(knex),
  storage,
  // The demo's agent may read and write in its own directory; a real app starts from denyAll().
  permissions: 'server-defaults',
})
const { records, messages } = kit

const prompt = values.prompt ?? DEFAULT_PROMPT
const [subjectId] = await knex('opencode_subjects').insert({ title: 'Demo conversation' })
const [messageId] = await knex('opencode_messages').insert({ subject_id: subjectId })

out(`${bold('opencode-kit demo')} ${dim('— one turn, end to end')}\n`)
out(
  `${dim('  OpenCode ')} ${standIn ? `built-in stand-in at ${baseUrl} ${dim('(scripted replies, no model; set OPENCODE_URL for a real server)')}` : baseUrl}\n`,
)
out(`${dim('  Database ')} SQLite ${relative(process.cwd(), databaseFile)} ${dim('(knex adapter)')}\n`)
out(`${dim('  Storage  ')} ${relative(process.cwd(), artifactsRoot)} ${dim('(storage-fs)')}\n\n`)
out(`${cyan('You')}  ${prompt}\n\n`)

// ── The live view: the turn's events, printed as a user would watch them ─────────────────────────
let atLineStart = true
let streaming: 'text' | 'reasoning' | undefined
const endLine = () => {
  if (!atLineStart) out('\n')
  atLineStart = true
  streaming = undefined
}
const toolLines = new Map<string, string>()
const stop = new AbortController()
process.once('SIGINT', () => {
  endLine()
  out(yellow('Stopping the turn…\n'))
  stop.abort()
})

const turn = kit.startTurn({
  subjectId: subjectId as number,
  messageId: messageId as number,
  prompt,
  signal: stop.signal,
})
for await (const event of turn.events) {
  switch (event.type) {
    case 'text-delta':
    case 'reasoning-delta': {
      const kind = event.type === 'reasoning-delta' ? 'reasoning' : 'text'
      if (streaming !== kind) {
        endLine()
        out(kind === 'reasoning' ? dim('thinking  ') : `${bold('Agent')}  `)
        streaming = kind
      }
      out(kind === 'reasoning' ? dim(event.text) : event.text)
      atLineStart = event.text.endsWith('\n')
      break
    }
    case 'tool': {
      const view = event.tool
      if (view.name === 'todowrite' || view.status === 'pending') break
      const line =
        view.status === 'completed' || view.status === 'error'
          ? `${view.status === 'error' ? red('✗') : green('✓')} ${view.title}${view.error ? red(` — ${view.error}`) : ''}`
          : `${yellow('…')} ${view.activity} ${view.target ?? ''}`
      if (toolLines.get(event.partId) === line) break
      toolLines.set(event.partId, line)
      endLine()
      out(`${dim('tool')}   ${line}\n`)
      break
    }
    case 'todos':
      endLine()
      for (const todo of event.todos) {
        const mark =
          todo.status === 'completed' ? green('☑') : todo.status === 'in_progress' ? yellow('◐') : '☐'
        out(`${dim('todo')}   ${mark} ${todo.content}\n`)
      }
      break
    case 'retry':
      endLine()
      out(yellow(`retry  attempt ${event.attempt}: ${event.message || 'provider error'}\n`))
      break
    case 'restart':
      endLine()
      out(dim(`(${event.reason}: the reply starts over)\n`))
      toolLines.clear()
      break
    case 'finish':
      if (event.error) {
        endLine()
        out(red(`error  ${event.error.name}: ${event.error.message}\n`))
      }
      break
  }
}
const result = await turn.result
endLine()

// ── What the database and the storage now hold ──────────────────────────────────────────────────
const row = await messages.load(messageId as number)
const subject = await records.load(subjectId as number)
const attachments = await storage.list(messageId as number)
const statusText = result.status === 'completed' ? green(`✓ ${result.status}`) : red(`✗ ${result.status}`)
const cost = row.cost === null ? 'n/a' : `$${row.cost.toFixed(6)}`
const tokens =
  row.inputTokens === null ? '' : ` · tokens ${row.inputTokens} in / ${row.outputTokens ?? 0} out`
out(`\n${statusText} in ${(result.durationMs / 1000).toFixed(2)} s · cost ${cost}${tokens}\n`)
out(`${dim('  session  ')} ${subject.opencodeSessionId}\n`)
out(
  `${dim('  message  ')} #${row.id} status=${row.status}, ${row.content?.length ?? 0} chars, ${row.toolCalls?.length ?? 0} tool call(s) ${dim('(re-read from SQLite)')}\n`,
)
if ('error' in result)
  out(
    `${dim('  error    ')} ${red(result.error instanceof OpencodeError ? `${result.error.code}: ${result.error.message}` : String(result.error))}\n`,
  )
if (attachments.length > 0) {
  out(`${dim('  artifacts')}\n`)
  for (const a of attachments) {
    const path = await storage.pathOf(messageId as number, a.filename)
    out(
      `    ${a.filename}  ${a.size} B  ${a.contentType}  ${dim(path ? relative(process.cwd(), path) : '')}\n`,
    )
  }
}
if (standIn) {
  const stats = standIn.stats
  out(dim(`  stand-in: ${stats.sessionsCreated} session created, ${stats.prompts} prompt sent\n`))
}

await knex.destroy()
await standIn?.close()
process.exit(result.status === 'completed' ? 0 : 1)
