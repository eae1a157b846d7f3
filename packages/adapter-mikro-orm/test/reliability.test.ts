// Reliability: a Turn's finalize racing a user's cancel on the same row, 1000 times on PostgreSQL
// and MariaDB, the cancel fired at a random point of the turn through its own forked
// EntityManager. Never both: a cancel that won is never overwritten, and a turn that finalized is
// never cancelled after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { turnVsCancelRounds } from '../../adapter-knex/test/support/knexTableSuites.js'
import { mikroOrmAdapter } from '../src/index.js'
import { type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'

const ROUNDS = 1000

describe.each(['postgres', 'mariadb'] as const)('reliability: Turn finalize vs cancel on %s', (name) => {
  let db: IsolatedOrm
  beforeAll(async () => {
    db = await isolatedOrm(name)
  })
  afterAll(async () => {
    await db.drop()
  })

  it(`${ROUNDS} races: exactly one terminal transition, the cancel is never lost`, {
    timeout: 240_000,
  }, async () => {
    const { messages } = mikroOrmAdapter(db.orm)
    const subjectId = await db.insert('opencode_subjects', { title: 'race' })
    const ids: number[] = []
    for (let i = 0; i < ROUNDS; i++) ids.push(await db.insert('opencode_messages', { subject_id: subjectId }))
    await turnVsCancelRounds(messages, ids)
    const [count] = await db.sql<{ n: number | string }>(
      `select count(*) as n from opencode_messages where subject_id = ? and status <> 'pending'`,
      [subjectId],
    )
    expect(Number(count?.n)).toBe(ROUNDS)
  })
})
