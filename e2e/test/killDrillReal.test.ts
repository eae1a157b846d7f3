// Issue 17 drills against a real `opencode serve` 1.18.33 (offline, scripted fake LLM): the worker
// process (adapter-knex on PostgreSQL) is SIGKILLed before the prompt, right after it, mid-stream
// and during the terminal write, then recovery or a retried job runs. The session's message list
// is the proof: one user message (with one text part: the id was never re-sent), one reply, and
// nothing left busy. (The final-exchange-wait point needs a stream that ends while the server's
// copy still shows work; the fake LLM cannot produce that timing on the real server — the
// stand-in drill covers it.)
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { knexAdapter, opencodeMigrations } from '@opencode-kit/adapter-knex'
import { Client, createOpencodeKit, type OpencodeKit, type RowId } from '@opencode-kit/core'
import knexFactory, { type Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresUrl } from '../../test-utils/services.js'
import { FINAL_TEXT } from '../support/fakeLlm.js'
import { type RealOpencode, startRealOpencode } from '../support/opencodeServer.js'

const WORKER = fileURLToPath(new URL('../support/drillWorker.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FALLBACK = 'Sorry, an error occurred while generating this response.'
const POINTS = ['before-prompt', 'after-prompt', 'mid-stream', 'terminal-write'] as const
type Point = (typeof POINTS)[number]

let server: RealOpencode
let client: Client
let admin: Knex
let knex: Knex
const schema = `drill_real_${randomBytes(5).toString('hex')}`
let kit: OpencodeKit
const counts = { kills: 0, recoveries: 0, retries: 0, prompts: 0, orphans: 0 }

beforeAll(async () => {
  server = await startRealOpencode({ slowDelayMs: 60 })
  client = new Client({ baseUrl: server.url, api: 'v1' })
  admin = knexFactory({ client: 'pg', connection: postgresUrl() })
  await admin.raw(`CREATE SCHEMA "${schema}"`)
  knex = knexFactory({ client: 'pg', connection: postgresUrl(), searchPath: [schema] })
  await knex.migrate.latest({ migrationSource: opencodeMigrations(), tableName: 'opencode_kit_migrations' })
  kit = createOpencodeKit({
    client,
    ...knexAdapter(knex),
    permissions: 'server-defaults',
    onError: () => {},
    tuning: { emptyStreamRetryDelayMs: 200, finalExchangeRetryDelayMs: 200, finalExchangeTimeoutMs: 15_000 },
  })
}, 60_000)
afterAll(async () => {
  console.log(`kill drill counts (real opencode): ${JSON.stringify(counts)}`)
  await knex?.destroy()
  await admin?.raw(`DROP SCHEMA "${schema}" CASCADE`)
  await admin?.destroy()
  await server?.close()
})

async function newTurn(prompt: string) {
  const [subject] = await knex('opencode_subjects').insert({ title: 'drill' }).returning('id')
  const subjectId = (subject as { id: RowId }).id
  const [message] = await knex('opencode_messages').insert({ subject_id: subjectId }).returning('id')
  return { subjectId, messageId: (message as { id: RowId }).id, prompt }
}

function startWorker(turn: { subjectId: RowId; messageId: RowId; prompt: string }, hang: Point | 'none') {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: ROOT,
    env: {
      ...process.env,
      DRILL_URL: server.url,
      DRILL_PG: postgresUrl(),
      DRILL_SCHEMA: schema,
      DRILL_SUBJECT: String(turn.subjectId),
      DRILL_MESSAGE: String(turn.messageId),
      DRILL_PROMPT: turn.prompt,
      DRILL_HANG: hang,
      DRILL_FINAL_WAIT_MS: '15000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  let buffer = ''
  let notify = () => {}
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    lines.push(...parts)
    notify()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const waitFor = (line: string) =>
    Promise.race([
      new Promise<void>((resolve) => {
        notify = () => lines.includes(line) && resolve()
        notify()
      }),
      exited,
    ])
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      counts.kills++
    }
    await exited
  }
  return { lines, waitFor, kill, exited }
}

/** The session's user messages and replies once nothing is busy upstream any more. */
async function upstreamOf(messageId: RowId) {
  const { opencodeSessionId } = await kit.messages.load(messageId)
  if (!opencodeSessionId) return { users: [], replies: 0, running: false }
  let running = true
  for (let i = 0; i < 100 && running; i++) {
    const status = (await (await fetch(`${server.url}/session/status`)).json()) as Record<string, unknown>
    running = opencodeSessionId in status
    if (running) await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const messages = await client.getMessages(opencodeSessionId)
  return {
    users: messages
      .filter((m) => m.info.role === 'user')
      .map((m) => m.parts.filter((p) => p.type === 'text').length),
    replies: messages.filter((m) => m.info.role === 'assistant').length,
    running,
  }
}

describe('issue 17 kill drills on real opencode (adapter-knex on PostgreSQL)', () => {
  for (const point of POINTS) {
    for (const after of ['recovery', 'retried job'] as const) {
      it(`killed ${point}, then ${after}: terminal with the answer (or the fallback), prompt sent once, nothing left running`, async () => {
        const turn = await newTurn(point === 'mid-stream' ? 'Stream slowly [slow]' : 'Say hello')
        const worker = startWorker(turn, point)
        await worker.waitFor(`at:${point}`)
        expect(worker.lines).toContain(`at:${point}`)
        await worker.kill()
        expect((await kit.messages.load(turn.messageId)).status).toBe('pending')
        if (after === 'recovery') {
          await knex('opencode_messages')
            .where({ id: turn.messageId })
            .update({ last_activity_at: new Date(Date.now() - 10 * 60_000) })
          const report = await kit.recoverTurns({ stalledForMs: 60_000 })
          counts.recoveries++
          expect(report.recovered).toHaveLength(1)
        } else {
          const retry = startWorker(turn, 'none')
          await retry.exited
          counts.retries++
          expect(retry.lines.find((l) => l.startsWith('done:'))).toBe('done:completed')
        }
        const row = await kit.messages.load(turn.messageId)
        const upstream = await upstreamOf(turn.messageId)
        counts.prompts += upstream.users.length
        if (upstream.running) counts.orphans++
        expect(upstream.running).toBe(false)
        if (point === 'before-prompt' && after === 'recovery') {
          expect(row).toMatchObject({ status: 'error', content: FALLBACK })
          expect(upstream).toMatchObject({ users: [], replies: 0 })
        } else {
          expect(row.status).toBe('completed')
          expect(row.content).toContain(FINAL_TEXT)
          expect(upstream).toMatchObject({ users: [1], replies: 1 })
        }
      }, 90_000)
    }
  }
})
