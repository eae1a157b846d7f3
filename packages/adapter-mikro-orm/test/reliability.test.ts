// Reliability: a Turn's finalize racing a user's cancel on the same row, 1000 times on PostgreSQL
// and MariaDB, the cancel fired at a random point of the turn through its own forked
// EntityManager. Never both: a cancel that won is never overwritten, and a turn that finalized is
// never cancelled after.
import { runTurn, Session } from '@opencode-kit/core'
import { MemoryRecordPort } from '@opencode-kit/core/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assistantMessage,
  delta,
  FakeTurnClient,
  idle,
  userMessage,
} from '../../core/test/host/support/fakeTurnClient.js'
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
      const expected = cancelled ? 'cancelled' : 'completed'
      expect(row.status).toBe(expected)
      expect(result.status).toBe(expected)
      tally[expected]++
    }
    // Both outcomes really happened: the race was a race.
    expect(tally.completed).toBeGreaterThan(0)
    expect(tally.cancelled).toBeGreaterThan(0)
    const [count] = await db.sql<{ n: number | string }>(
      `select count(*) as n from opencode_messages where subject_id = ? and status <> 'pending'`,
      [subjectId],
    )
    expect(Number(count?.n)).toBe(ROUNDS)
  })
})
