// Issue 17 drills: a worker process running a real turn (adapter-knex on PostgreSQL) is killed with
// SIGKILL at each point — before the prompt, right after it, mid-stream, during the final-exchange
// wait, during the terminal write — and then recovery (kit.recoverTurns) or, separately, a retried
// job runs. Every time: the row ends terminal with the upstream answer (or the fallback when there
// is none), the prompt was sent once, no upstream session is left running, and a live turn running
// alongside is never touched. Then ≥ 50 mid-stream kills with random timing. Against the OpenCode
// stand-in on a loopback port.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { knexAdapter, opencodeMigrations } from '@opencode-kit/adapter-knex'
import { Client, createOpencodeKit, type OpencodeKit, type RowId } from '@opencode-kit/core'
import { type RunningStandIn, scenario, startOpencodeStandIn } from '@opencode-kit/core/testing'
import knexFactory, { type Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresUrl } from '../../test-utils/services.js'

const WORKER = fileURLToPath(new URL('../support/drillWorker.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FALLBACK = 'Sorry, an error occurred while generating this response.'
const ANSWER = 'The drill answer, streamed in several words.'
const POINTS = ['before-prompt', 'after-prompt', 'mid-stream', 'final-wait', 'terminal-write'] as const
type Point = (typeof POINTS)[number]

let admin: Knex
let knex: Knex
const schema = `drill_${randomBytes(5).toString('hex')}`
let standIn: RunningStandIn
let kit: OpencodeKit
const counts = { kills: 0, recoveries: 0, retries: 0, prompts: 0, orphans: 0 }

beforeAll(async () => {
  admin = knexFactory({ client: 'pg', connection: postgresUrl() })
  await admin.raw(`CREATE SCHEMA "${schema}"`)
  knex = knexFactory({ client: 'pg', connection: postgresUrl(), searchPath: [schema] })
  await knex.migrate.latest({ migrationSource: opencodeMigrations(), tableName: 'opencode_kit_migrations' })
  standIn = await startOpencodeStandIn({ heartbeatMs: 0 })
  kit = createOpencodeKit({
    client: new Client({ baseUrl: standIn.url, api: 'v1' }),
    ...knexAdapter(knex),
    permissions: 'server-defaults',
    onError: () => {},
    tuning: { emptyStreamRetryDelayMs: 100, finalExchangeRetryDelayMs: 100, finalExchangeTimeoutMs: 1000 },
    // An attached session that stays silent goes to the final-exchange poll after 2 s.
    stream: { firstEventMs: 2000 },
  })
}, 60_000)
afterAll(async () => {
  console.log(`kill drill counts: ${JSON.stringify(counts)}`)
  await standIn?.close()
  await knex?.destroy()
  await admin?.raw(`DROP SCHEMA "${schema}" CASCADE`)
  await admin?.destroy()
})

async function newTurn(prompt: string) {
  const [subject] = await knex('opencode_subjects').insert({ title: prompt }).returning('id')
  const subjectId = (subject as { id: RowId }).id
  const [message] = await knex('opencode_messages').insert({ subject_id: subjectId }).returning('id')
  return { subjectId, messageId: (message as { id: RowId }).id, prompt }
}

/** Spawn the worker; resolves with its output lines once it printed `until` (or exited). */
function startWorker(turn: { subjectId: RowId; messageId: RowId; prompt: string }, hang: Point | 'none') {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    cwd: ROOT,
    env: {
      ...process.env,
      DRILL_URL: standIn.url,
      DRILL_PG: postgresUrl(),
      DRILL_SCHEMA: schema,
      DRILL_SUBJECT: String(turn.subjectId),
      DRILL_MESSAGE: String(turn.messageId),
      DRILL_PROMPT: turn.prompt,
      DRILL_HANG: hang,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  const waiters: { match: (line: string) => boolean; resolve: () => void }[] = []
  let buffer = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    for (const line of parts) {
      lines.push(line)
      for (const waiter of waiters.filter((w) => w.match(line))) waiter.resolve()
    }
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const waitFor = (match: (line: string) => boolean) =>
    Promise.race([
      new Promise<void>((resolve) => {
        if (lines.some(match)) resolve()
        else waiters.push({ match, resolve })
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

/** Time passes: the dead worker's stamp is ten minutes old. */
const age = (messageId: RowId) =>
  knex('opencode_messages')
    .where({ id: messageId })
    .update({ last_activity_at: new Date(Date.now() - 10 * 60_000) })

const row = async (messageId: RowId) => kit.messages.load(messageId)

/** The stand-in's prompts for the row's session, and whether it still runs anything. */
async function upstreamOf(messageId: RowId) {
  const { opencodeSessionId } = await row(messageId)
  await Promise.race([standIn.idle(), new Promise((r) => setTimeout(r, 5000))])
  const prompts = opencodeSessionId ? (standIn.stats.promptsBySession[opencodeSessionId] ?? 0) : 0
  const status = (await (await fetch(`${standIn.url}/session/status`)).json()) as Record<string, unknown>
  const running = opencodeSessionId ? opencodeSessionId in status : false
  return { prompts, running }
}

/** A live turn on another subject, running while the recovery runs: never touched by it. */
async function withLiveTurn<T>(work: () => Promise<T>): Promise<T> {
  const live = await newTurn('a live turn alongside')
  standIn.enqueue(scenario().text('The live turn answers.'))
  const running = kit.runTurn(live)
  const result = await work()
  const liveResult = await running
  expect(liveResult.status).toBe('completed')
  expect((await row(live.messageId)).content).toBe('The live turn answers.')
  return result
}

function scenarioFor(point: Point) {
  const answer = scenario().text(ANSWER)
  return point === 'final-wait' ? answer.keepWorking() : answer
}

describe('issue 17 kill drills on the stand-in (adapter-knex on PostgreSQL)', () => {
  for (const point of POINTS) {
    for (const after of ['recovery', 'retried job'] as const) {
      it(`killed ${point}, then ${after}: terminal with the answer (or the fallback), prompt sent once, nothing left running`, async () => {
        const turn = await newTurn(`drill ${point} ${after}`)
        // The scenario answers the one prompt upstream (none when the prompt never leaves).
        if (!(point === 'before-prompt' && after === 'recovery')) standIn.enqueue(scenarioFor(point))
        const worker = startWorker(turn, point)
        await worker.waitFor((line) => line === `at:${point}`)
        expect(worker.lines).toContain(`at:${point}`)
        await worker.kill()
        expect((await row(turn.messageId)).status).toBe('pending')
        if (after === 'recovery') {
          await age(turn.messageId)
          const report = await withLiveTurn(() => kit.recoverTurns({ stalledForMs: 60_000 }))
          counts.recoveries++
          expect(report.recovered).toHaveLength(1)
        } else {
          const retry = startWorker(turn, 'none')
          await retry.exited
          counts.retries++
          expect(retry.lines.find((l) => l.startsWith('done:'))).toMatch(/^done:/)
        }
        const final = await row(turn.messageId)
        const upstream = await upstreamOf(turn.messageId)
        counts.prompts += upstream.prompts
        if (upstream.running) counts.orphans++
        expect(upstream.running).toBe(false)
        if (point === 'before-prompt' && after === 'recovery') {
          // The prompt never left: nothing upstream, the fallback, nothing sent.
          expect(final).toMatchObject({ status: 'error', content: FALLBACK })
          expect(upstream.prompts).toBe(0)
        } else {
          expect(final).toMatchObject({ status: 'completed', content: ANSWER })
          expect(upstream.prompts).toBe(1)
        }
        expect(standIn.stats.repeatedPromptIds).toBe(0)
      }, 60_000)
    }
  }

  it('50 mid-stream kills with random timing, each recovered: every row completed with the answer, one prompt each', async () => {
    const turns = []
    for (let i = 0; i < 50; i++) {
      const turn = await newTurn(`random kill ${i}`)
      standIn.enqueue(scenario().text(ANSWER))
      const worker = startWorker(turn, 'none')
      await worker.waitFor((line) => line === 'streaming' || line.startsWith('done:'))
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20))
      await worker.kill()
      turns.push(turn)
    }
    for (const turn of turns) if ((await row(turn.messageId)).status === 'pending') await age(turn.messageId)
    const report = await kit.recoverTurns({ stalledForMs: 60_000, limit: 100 })
    counts.recoveries += report.recovered.length
    expect(report.failed).toEqual([])
    for (const turn of turns) {
      expect(await row(turn.messageId)).toMatchObject({ status: 'completed', content: ANSWER })
      const upstream = await upstreamOf(turn.messageId)
      counts.prompts += upstream.prompts
      expect(upstream).toEqual({ prompts: 1, running: false })
    }
  }, 300_000)
})
