// Reliability: a Turn's finalize racing a user's cancel on the same PostgreSQL row, 1000 times,
// with the cancel fired at a random point of the turn over its own connection. Never both: a
// cancel that won is never overwritten, and a turn that finalized is never cancelled after.
import type { Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { knexAdapter, opencodeMigrations } from '../src/index.js'
import { type IsolatedKnex, isolatedKnex } from './support/isolatedKnex.js'
import { turnVsCancelRounds } from './support/knexTableSuites.js'

const ROUNDS = 1000
let db: IsolatedKnex
let knex: Knex

beforeAll(async () => {
  db = await isolatedKnex('postgres')
  knex = db.knex
  await knex.migrate.latest({ migrationSource: opencodeMigrations() })
})
afterAll(async () => {
  await db.drop()
})

describe('reliability: Turn finalize vs cancel on PostgreSQL', () => {
  it(`${ROUNDS} races: exactly one terminal transition, the cancel is never lost`, {
    timeout: 240_000,
  }, async () => {
    const { messages } = knexAdapter(knex)
    const [subject] = await knex('opencode_subjects').insert({ title: 'race' }).returning('id')
    const subjectId = (subject as { id: number }).id
    const rows = await knex('opencode_messages')
      .insert(Array.from({ length: ROUNDS }, () => ({ subject_id: subjectId })))
      .returning('id')
    const ids = rows.map((r: { id: number }) => r.id)
    await turnVsCancelRounds(messages, ids)
    const transitions = await knex('opencode_messages')
      .whereIn('id', ids)
      .whereNot('status', 'pending')
      .count({ n: '*' })
    expect(Number(transitions[0]?.n)).toBe(ROUNDS)
  })
})
