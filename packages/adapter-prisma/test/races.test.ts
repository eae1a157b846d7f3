// The Prisma adapter in the shared race harness (a copy of adapter-knex's races.test.ts, its ports
// module swapped for the Prisma one; the tables come from adapter-knex's migration).
// Multi-process races (test-utils/race harness) on SQLite file, PostgreSQL and MariaDB:
// 16 processes ensure sessions for the same subjects against one loopback session counter
// (exactly one upstream session per subject, zero orphans), and processes race finalize against
// cancel on the same message rows (exactly one terminal transition; a winning cancel is never lost).
// Workers resolve '@opencode-kit/core' through its built dist: `npm run build` first.
import { fileURLToPath } from 'node:url'
import type { Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { raceEnsure, raceFinalizeCancel, raceTurnCancel } from '../../../test-utils/race/harness.js'
import { opencodeMigrations } from '../../adapter-knex/src/index.js'
import { DATABASES, type IsolatedKnex, isolatedKnex } from '../../adapter-knex/test/support/isolatedKnex.js'

const portsModule = fileURLToPath(new URL('./support/racePorts.ts', import.meta.url))
const PROCESSES = 8
const ROUNDS = 6

describe.each(DATABASES)('adapter-prisma multi-process races on %s', (name) => {
  let db: IsolatedKnex
  let knex: Knex

  beforeAll(async () => {
    db = await isolatedKnex(name)
    knex = db.knex
    await knex.migrate.latest({ migrationSource: opencodeMigrations() })
  })
  afterAll(async () => {
    await db.drop()
  })

  const options = () => ({
    portsModule,
    env: { RACE_KNEX_SPEC: JSON.stringify(db.spec) },
    processes: PROCESSES,
  })
  const insert = async (table: string, rows: Array<Record<string, unknown>>): Promise<number[]> => {
    await knex(table).insert(rows)
    const ids = await knex(table).select('id').orderBy('id', 'desc').limit(rows.length)
    return ids.map((r: { id: unknown }) => Number(r.id)).reverse()
  }

  it(`Session.ensure race: exactly one upstream session per subject, zero orphans (${PROCESSES} processes)`, {
    timeout: 240_000,
  }, async () => {
    const ids = await insert(
      'opencode_subjects',
      Array.from({ length: ROUNDS }, (_, i) => ({ title: `race ${i}` })),
    )
    const { outcomes, stats } = await raceEnsure(options(), ids)
    expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([])
    const stored = await knex('opencode_subjects').whereIn('id', ids).select('id', 'opencode_session_id')
    for (const id of ids) {
      const mine = outcomes.filter((o) => o.kind === 'ensured' && Number(o.id) === id)
      expect(mine).toHaveLength(PROCESSES)
      expect(mine.filter((o) => o.kind === 'ensured' && o.created)).toHaveLength(1)
      const row = stored.find((r: { id: unknown }) => Number(r.id) === id)
      expect(new Set(mine.map((o) => (o.kind === 'ensured' ? o.sessionId : '')))).toEqual(
        new Set([row?.opencode_session_id]),
      )
    }
    expect(stats.created - stats.deleted - stored.length).toBe(0)
  })

  it('Turn finalize racing MessagePort.cancel across processes: one terminal transition, cancel never lost', {
    timeout: 240_000,
  }, async () => {
    const [subject] = await insert('opencode_subjects', [{ title: 'cas' }])
    const ids = await insert(
      'opencode_messages',
      Array.from({ length: ROUNDS }, () => ({ subject_id: subject })),
    )
    const outcomes = await raceFinalizeCancel(options(), ids)
    const rows = await knex('opencode_messages').whereIn('id', ids).select('id', 'status', 'content')
    for (const id of ids) {
      const winners = outcomes.filter(
        (o) => (o.kind === 'finalize' || o.kind === 'cancel') && Number(o.id) === id && o.won,
      )
      expect(winners).toHaveLength(1)
      const row = rows.find((r: { id: unknown }) => Number(r.id) === id)
      if (winners[0]?.kind === 'cancel') expect(row).toMatchObject({ status: 'cancelled', content: null })
      else {
        expect(row?.status).toBe('completed')
        expect(row?.content).toMatch(/^final /)
      }
    }
  })

  it('a real Turn racing cancels from other processes: never both, the cancel is never lost', {
    timeout: 240_000,
  }, async () => {
    const [subject] = await insert('opencode_subjects', [{ title: 'turn vs cancel' }])
    const ids = await insert(
      'opencode_messages',
      Array.from({ length: ROUNDS }, () => ({ subject_id: subject })),
    )
    const { outcomes, stats } = await raceTurnCancel(options(), subject as number, ids)
    expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([])
    expect(stats.sessionsCreated).toBe(1) // the turns raced Session.ensure too
    const rows = await knex('opencode_messages').whereIn('id', ids).select('id', 'status')
    for (const id of ids) {
      const turn = outcomes.find((o) => o.kind === 'turn' && Number(o.id) === id)
      const cancelWon = outcomes.some((o) => o.kind === 'cancel' && Number(o.id) === id && o.won)
      const row = rows.find((r: { id: unknown }) => Number(r.id) === id)
      expect(turn).toBeDefined()
      if (cancelWon) {
        expect(row?.status).toBe('cancelled')
        expect(turn?.kind === 'turn' && turn.status).toBe('cancelled')
      } else {
        expect(row?.status).toBe('completed')
        expect(turn?.kind === 'turn' && turn.status).toBe('completed')
      }
    }
  })
})
