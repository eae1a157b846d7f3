/**
 * 32 processes racing `Session.ensure` on the same subjects (knex adapter, PostgreSQL, a loopback
 * session counter standing in for OpenCode): sessions created per subject (must be 1), orphans
 * (must be 0) and the time the race takes. Baseline from the same run: one process ensuring the
 * same number of fresh subjects alone.
 * Run with `npm run bench -- ensureRace`.
 */
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import knexFactory from 'knex'
import { opencodeMigrations } from '../../packages/adapter-knex/src/index.js'
import { raceEnsure } from '../../test-utils/race/harness.js'
import { postgresUrl } from '../../test-utils/services.js'

const PROCESSES = 32
const SUBJECTS = 16
const portsModule = fileURLToPath(
  new URL('../../packages/adapter-knex/test/support/racePorts.ts', import.meta.url),
)

const schema = `bench_${randomBytes(4).toString('hex')}`
const admin = knexFactory({ client: 'pg', connection: postgresUrl() })
await admin.raw(`CREATE SCHEMA "${schema}"`)
const knex = knexFactory({ client: 'pg', connection: postgresUrl(), searchPath: [schema] })
try {
  await knex.migrate.latest({ migrationSource: opencodeMigrations() })
  const spec = JSON.stringify({ client: 'pg', target: postgresUrl(), schema })
  const subjects = async (n: number) => {
    const rows = await knex('opencode_subjects')
      .insert(Array.from({ length: n }, (_, i) => ({ title: `s${i}` })))
      .returning('id')
    return rows.map((r: { id: number }) => r.id)
  }

  let started = performance.now()
  const solo = await raceEnsure(
    { portsModule, env: { RACE_KNEX_SPEC: spec }, processes: 1 },
    await subjects(SUBJECTS),
  )
  const soloMs = performance.now() - started

  started = performance.now()
  const ids = await subjects(SUBJECTS)
  const race = await raceEnsure({ portsModule, env: { RACE_KNEX_SPEC: spec }, processes: PROCESSES }, ids)
  const raceMs = performance.now() - started

  const stored = await knex('opencode_subjects')
    .whereIn('id', ids)
    .whereNotNull('opencode_session_id')
    .count({ n: '*' })
  const createdPerSubject = ids.map(
    (id) =>
      race.outcomes.filter((o) => o.kind === 'ensured' && Number(o.id) === Number(id) && o.created).length,
  )
  const failures = race.outcomes.filter((o) => o.kind === 'failed').length
  const orphans = race.stats.created - race.stats.deleted - Number(stored[0]?.n)
  console.log(`${PROCESSES} processes × ${SUBJECTS} subjects on PostgreSQL:`)
  console.log(
    `  sessions created per subject: min ${Math.min(...createdPerSubject)}, max ${Math.max(...createdPerSubject)} (must be 1)`,
  )
  console.log(
    `  upstream created ${race.stats.created}, deleted ${race.stats.deleted}, stored ${stored[0]?.n} → orphans ${orphans}`,
  )
  console.log(
    `  failures ${failures}; race ${raceMs.toFixed(0)} ms vs one process alone ${soloMs.toFixed(0)} ms (${(raceMs / soloMs).toFixed(2)}×, mostly process start-up)`,
  )
  if (solo.outcomes.some((o) => o.kind === 'failed')) throw new Error('the solo baseline failed')
  console.log(
    JSON.stringify({
      ensure_race_sessions_per_subject: Math.max(...createdPerSubject),
      ensure_race_processes: PROCESSES,
      ensure_race_orphans: orphans,
      ensure_race_failures: failures,
      ensure_race_vs_solo_time_ratio: raceMs / soloMs,
    }),
  )
} finally {
  await knex.destroy()
  await admin.raw(`DROP SCHEMA "${schema}" CASCADE`)
  await admin.destroy()
}
