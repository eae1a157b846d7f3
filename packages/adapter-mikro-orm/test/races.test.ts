// The shared multi-process race scenarios (test-utils/race) on SQLite, PostgreSQL and MariaDB:
// 16 processes run the real Session.ensure for the same subjects (exactly one upstream session per
// subject, zero orphans), finalize races cancel on the same rows (one winner, a cancel never lost),
// and a real Turn races cancels from other processes. Workers use the built dist: build first.
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { raceEnsure, raceFinalizeCancel, raceTurnCancel } from '../../../test-utils/race/harness.js'
import { DATABASES, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'

const portsModule = fileURLToPath(new URL('./support/racePorts.ts', import.meta.url))
const PROCESSES = 16
const ROUNDS = 6

describe.each(DATABASES)('adapter-mikro-orm multi-process races on %s', (name) => {
  let db: IsolatedOrm
  beforeAll(async () => {
    db = await isolatedOrm(name)
  })
  afterAll(async () => {
    await db.drop()
  })

  const options = () => ({
    portsModule,
    env: { RACE_ORM_SPEC: JSON.stringify(db.spec) },
    processes: PROCESSES,
  })
  const insertMany = async (table: string, values: Record<string, unknown>) => {
    const ids: number[] = []
    for (let i = 0; i < ROUNDS; i++) ids.push(await db.insert(table, values))
    return ids
  }

  it(`Session.ensure: exactly one upstream session per subject, zero orphans (${PROCESSES} processes)`, {
    timeout: 240_000,
  }, async () => {
    const ids = await insertMany('opencode_subjects', { title: 'race' })
    const { outcomes, stats } = await raceEnsure(options(), ids)
    expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([])
    const stored = await db.sql<{ id: number; opencode_session_id: string }>(
      `select id, opencode_session_id from opencode_subjects where id in (${ids.join(',')})`,
    )
    for (const id of ids) {
      const mine = outcomes.filter((o) => o.kind === 'ensured' && Number(o.id) === id)
      expect(mine).toHaveLength(PROCESSES)
      expect(mine.filter((o) => o.kind === 'ensured' && o.created)).toHaveLength(1)
      const row = stored.find((r) => Number(r.id) === id)
      expect(new Set(mine.map((o) => (o.kind === 'ensured' ? o.sessionId : '')))).toEqual(
        new Set([row?.opencode_session_id]),
      )
    }
    expect(stats.created - stats.deleted - stored.length).toBe(0)
  })

  it('finalize racing cancel across processes: one terminal transition, cancel never lost', {
    timeout: 240_000,
  }, async () => {
    const [subject] = await insertMany('opencode_subjects', { title: 'cas' })
    const ids = await insertMany('opencode_messages', { subject_id: subject })
    const outcomes = await raceFinalizeCancel(options(), ids)
    const rows = await db.sql<{ id: number; status: string; content: string | null }>(
      `select id, status, content from opencode_messages where id in (${ids.join(',')})`,
    )
    for (const id of ids) {
      const winners = outcomes.filter(
        (o) => (o.kind === 'finalize' || o.kind === 'cancel') && Number(o.id) === id && o.won,
      )
      expect(winners).toHaveLength(1)
      const row = rows.find((r) => Number(r.id) === id)
      if (winners[0]?.kind === 'cancel') expect(row).toMatchObject({ status: 'cancelled', content: null })
      else expect(row?.status).toBe('completed')
    }
  })

  it('a real Turn racing cancels from other processes: never both, the cancel is never lost', {
    timeout: 240_000,
  }, async () => {
    const [subject] = await insertMany('opencode_subjects', { title: 'turn vs cancel' })
    const ids = await insertMany('opencode_messages', { subject_id: subject })
    const { outcomes, stats } = await raceTurnCancel(options(), subject as number, ids)
    expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([])
    expect(stats.sessionsCreated).toBe(1)
    const rows = await db.sql<{ id: number; status: string }>(
      `select id, status from opencode_messages where id in (${ids.join(',')})`,
    )
    for (const id of ids) {
      const turn = outcomes.find((o) => o.kind === 'turn' && Number(o.id) === id)
      const cancelWon = outcomes.some((o) => o.kind === 'cancel' && Number(o.id) === id && o.won)
      const expected = cancelWon ? 'cancelled' : 'completed'
      expect(rows.find((r) => Number(r.id) === id)?.status).toBe(expected)
      expect(turn?.kind === 'turn' && turn.status).toBe(expected)
    }
  })
})
