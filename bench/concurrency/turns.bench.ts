/**
 * 200 concurrent turns in one process: the real Client against the stand-in (its own process, on
 * loopback), the knex adapter on PostgreSQL, in-memory attachments. Reports turns/s and the p99
 * event-loop delay (perf_hooks.monitorEventLoopDelay) — target p99 < 50 ms — against a baseline
 * from the same run: the same turns one at a time.
 * Run with `npm run bench -- turns`.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import knexFactory from 'knex'
import { knexAdapter, opencodeMigrations } from '../../packages/adapter-knex/src/index.js'
import { createOpencodeKit } from '../../packages/core/src/index.js'
import { MemoryStorage } from '../../packages/core/src/testing/index.js'
import { postgresUrl } from '../../test-utils/services.js'

const CONCURRENT = 200
const SEQUENTIAL = 20

const server = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('./standInServer.ts', import.meta.url))],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
const url = await new Promise<string>((resolve, reject) => {
  server.stdout.once('data', (chunk) => resolve(String(chunk).trim()))
  server.once('exit', (code) => reject(new Error(`stand-in exited ${code}`)))
})

const schema = `bench_${randomBytes(4).toString('hex')}`
const admin = knexFactory({ client: 'pg', connection: postgresUrl() })
await admin.raw(`CREATE SCHEMA "${schema}"`)
const knex = knexFactory({
  client: 'pg',
  connection: postgresUrl(),
  searchPath: [schema],
  pool: { min: 2, max: 20 },
})

try {
  await knex.migrate.latest({ migrationSource: opencodeMigrations() })
  const kit = createOpencodeKit({
    client: url,
    ...knexAdapter(knex),
    storage: new MemoryStorage(),
    permissions: 'server-defaults',
  })

  async function prepare(n: number) {
    const subjects = await knex('opencode_subjects')
      .insert(Array.from({ length: n }, (_, i) => ({ title: `bench ${i}` })))
      .returning('id')
    const rows = await knex('opencode_messages')
      .insert(subjects.map((s: { id: number }) => ({ subject_id: s.id })))
      .returning(['id', 'subject_id'])
    return rows as { id: number; subject_id: number }[]
  }
  const runOne = async (row: { id: number; subject_id: number }) => {
    const result = await kit.runTurn({
      subjectId: row.subject_id,
      messageId: row.id,
      prompt: `bench ${row.id}`,
    })
    if (result.status !== 'completed')
      throw new Error(
        `turn ${row.id} ended ${result.status}: ${'error' in result ? String(result.error) : ''}`,
      )
  }

  // Baseline: one at a time.
  const sequentialRows = await prepare(SEQUENTIAL)
  let started = performance.now()
  for (const row of sequentialRows) await runOne(row)
  const sequentialPerSecond = SEQUENTIAL / ((performance.now() - started) / 1000)

  // 200 at once.
  const rows = await prepare(CONCURRENT)
  const lag = monitorEventLoopDelay({ resolution: 10 })
  lag.enable()
  started = performance.now()
  await Promise.all(rows.map(runOne))
  const seconds = (performance.now() - started) / 1000
  lag.disable()
  const perSecond = CONCURRENT / seconds
  const p99 = lag.percentile(99) / 1e6
  const completed = await knex('opencode_messages').where({ status: 'completed' }).count({ n: '*' })

  console.log(`${CONCURRENT} concurrent turns (knex + PostgreSQL, stand-in over loopback):`)
  console.log(
    `  ${perSecond.toFixed(1)} turns/s vs ${sequentialPerSecond.toFixed(1)} turns/s one at a time (${(perSecond / sequentialPerSecond).toFixed(1)}×)`,
  )
  console.log(
    `  event-loop delay p99 ${p99.toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms (target p99 < 50 ms) ${p99 < 50 ? '✓' : '✗'}`,
  )
  console.log(`  rows completed: ${completed[0]?.n} of ${CONCURRENT + SEQUENTIAL}`)
  console.log(
    JSON.stringify({
      turns_per_second: perSecond,
      turns_per_second_vs_sequential: perSecond / sequentialPerSecond,
      p99_event_loop_lag_ms: p99,
    }),
  )
} finally {
  await knex.destroy()
  await admin.raw(`DROP SCHEMA "${schema}" CASCADE`)
  await admin.destroy()
  server.kill('SIGTERM')
}
