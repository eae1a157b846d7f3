// The shared multi-process race scenarios (test-utils/race harness, the same the knex adapter
// runs) on every database: 16 processes run the real Session.ensure for the same subjects against
// one loopback session counter (exactly one upstream session per subject, zero orphans), and
// processes race finalize against cancel on the same message rows (exactly one winner per row; a
// cancel that answered true is never overwritten). Workers use the built dist: `npm run build`.
import { fileURLToPath } from 'node:url'
import { QueryTypes, type Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { raceEnsure, raceFinalizeCancel, raceTurnCancel } from '../../../test-utils/race/harness.js'
import { createOpencodeTables } from '../src/index.js'
import { DATABASES, type IsolatedDatabase, isolatedDatabase } from './support/isolatedDatabases.js'

const portsModule = fileURLToPath(new URL('./support/racePorts.ts', import.meta.url))
const PROCESSES = 16
const ROWS = 6

describe.each(DATABASES)('adapter-sequelize multi-process races on %s', (name) => {
  let db: IsolatedDatabase
  let sequelize: Sequelize

  beforeAll(async () => {
    db = await isolatedDatabase(name)
    sequelize = db.connect()
    await createOpencodeTables(sequelize.getQueryInterface())
  })
  afterAll(async () => {
    await db.drop()
  })

  const options = () => ({
    portsModule,
    env: { RACE_SEQUELIZE_SPEC: JSON.stringify(db.spec) },
    processes: PROCESSES,
  })
  const now = new Date()
  async function insert(table: string, columns: Record<string, unknown>): Promise<number[]> {
    for (let i = 0; i < ROWS; i++) {
      const names = Object.keys(columns)
      await sequelize.query(
        `INSERT INTO ${table} (${[...names, 'created_at', 'updated_at'].join(', ')}) VALUES (${names.map(() => '?').join(', ')}, ?, ?)`,
        { replacements: [...Object.values(columns), now, now] },
      )
    }
    const rows = await sequelize.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`, {
      type: QueryTypes.SELECT,
    })
    return rows.slice(-ROWS).map((row) => Number(row.id))
  }

  it(`Session.ensure: exactly one upstream session per subject, zero orphans (${PROCESSES} processes)`, {
    timeout: 240_000,
  }, async () => {
    const ids = await insert('opencode_subjects', { title: 'race' })
    const { outcomes, stats } = await raceEnsure(options(), ids)
    expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([])
    const stored = await sequelize.query<{ id: number; opencode_session_id: string }>(
      `SELECT id, opencode_session_id FROM opencode_subjects WHERE id IN (${ids.join(',')})`,
      { type: QueryTypes.SELECT },
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
    const [subject] = await insert('opencode_subjects', { title: 'cas' })
    const ids = await insert('opencode_messages', { subject_id: subject })
    const outcomes = await raceFinalizeCancel(options(), ids)
    const rows = await sequelize.query<{ id: number; status: string; content: string | null }>(
      `SELECT id, status, content FROM opencode_messages WHERE id IN (${ids.join(',')})`,
      { type: QueryTypes.SELECT },
    )
    for (const id of ids) {
      const winners = outcomes.filter(
        (o) => (o.kind === 'finalize' || o.kind === 'cancel') && Number(o.id) === id && o.won,
      )
      expect(winners).toHaveLength(1)
      const row = rows.find((r) => Number(r.id) === id)
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
    const [subject] = await insert('opencode_subjects', { title: 'turn vs cancel' })
    const ids = await insert('opencode_messages', { subject_id: subject })
    const { outcomes, stats } = await raceTurnCancel(options(), subject as number, ids)
    expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([])
    expect(stats.sessionsCreated).toBe(1)
    const rows = await sequelize.query<{ id: number; status: string }>(
      `SELECT id, status FROM opencode_messages WHERE id IN (${ids.join(',')})`,
      { type: QueryTypes.SELECT },
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
