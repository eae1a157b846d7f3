// Reliability: a Turn's finalize racing a user's cancel on the same PostgreSQL row, 1000 times,
// with the cancel fired at a random point of the turn over its own connection. Never both: a
// cancel that won is never overwritten, and a turn that finalized is never cancelled after.
import { runTurn, Session } from '@opencode-kit/core'
import { MemoryRecordPort } from '@opencode-kit/core/testing'
import fc from 'fast-check'
import type { Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assistantMessage,
  delta,
  FakeTurnClient,
  idle,
  userMessage,
} from '../../core/test/host/support/fakeTurnClient.js'
import { knexAdapter, opencodeMigrations } from '../src/index.js'
import { type IsolatedKnex, isolatedKnex } from './support/isolatedKnex.js'

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
    // Up to ~80 macrotasks: a turn now reads, stamps and claims the row before it prompts, so a
    // narrower window let the cancel win every round on a fast machine (no race at all).
    const delays = fc.sample(fc.integer({ min: 0, max: 80 }), { numRuns: ROUNDS, seed: 99 })
    const tally = { completed: 0, cancelled: 0 }

    for (let round = 0; round < ROUNDS; round++) {
      const id = ids[round] as number
      const client = new FakeTurnClient()
      client.steps = [delta('pong'), idle()]
      client.after = [userMessage('ping'), assistantMessage({ text: 'pong', cost: 0.01 })]
      const records = new MemoryRecordPort()
      const session = new Session({
        subject: records.insert({ opencodeSessionId: 'ses_turn_test' }),
        records,
        client,
        permissions: 'server-defaults',
      })
      const turn = runTurn({
        messageId: id,
        messages,
        session,
        client,
        prompt: 'ping',
        onError: () => {},
        emptyStreamRetryDelayMs: 0,
        finalExchangeTimeoutMs: 0,
      })
      // The stop button, from "another request": yield a random number of macrotasks, then cancel.
      const cancel = (async () => {
        for (let i = 0; i < (delays[round] ?? 0); i++) await new Promise((r) => setImmediate(r))
        return messages.cancel(id)
      })()
      const [result, cancelled] = await Promise.all([turn, cancel])
      const row = await messages.load(id)
      if (cancelled) {
        expect(row.status).toBe('cancelled')
        expect(result.status).toBe('cancelled')
        tally.cancelled++
      } else {
        expect(row.status).toBe('completed')
        expect(result.status).toBe('completed')
        tally.completed++
      }
    }
    // Both outcomes really happened: the race was a race.
    expect(tally.completed).toBeGreaterThan(0)
    expect(tally.cancelled).toBeGreaterThan(0)
    const transitions = await knex('opencode_messages')
      .whereIn('id', ids)
      .whereNot('status', 'pending')
      .count({ n: '*' })
    expect(Number(transitions[0]?.n)).toBe(ROUNDS)
  })
})
