// Suites shared by the adapters tested over the tables adapter-knex's migration creates (knex,
// Drizzle, Prisma): the core contract suites' raw helpers (plain knex reads and inserts, so the
// suites check what really reached the tables), a full turn against the stand-in read back with
// knex, and the multi-process race harness (test-utils/race). Race workers resolve
// '@opencode-kit/core' through its built dist: `npm run build` first.
import { createOpencodeKit, runTurn, Session } from '@opencode-kit/core'
import type { MessagePort, MessageStatus, RecordPort, RowId, StoredPart } from '@opencode-kit/core/adapter'
import {
  MemoryRecordPort,
  MemoryStorage,
  type RunningStandIn,
  scenario,
  startOpencodeStandIn,
} from '@opencode-kit/core/testing'
import type { MessagePortFixture, RecordPortFixture } from '@opencode-kit/core/testing/vitest'
import fc from 'fast-check'
import type { Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { raceEnsure, raceFinalizeCancel, raceTurnCancel } from '../../../../test-utils/race/harness.js'
import {
  assistantMessage,
  delta,
  FakeTurnClient,
  idle,
  userMessage,
} from '../../../core/test/host/support/fakeTurnClient.js'
import { opencodeMigrations } from '../../src/index.js'
import { DATABASES, type IsolatedKnex, insertRow, isolatedKnex } from './isolatedKnex.js'

export { insertRow }

const json = (value: unknown): StoredPart[] | null =>
  value === null || value === undefined
    ? null
    : ((typeof value === 'string' ? JSON.parse(value) : value) as StoredPart[])
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value))

/** describeRecordPort's raw helpers on the shipped subjects table. */
export function subjectsRaw(knex: Knex, name: (typeof DATABASES)[number]): RecordPortFixture['raw'] {
  return {
    insertSubject: (fields = {}) =>
      insertRow(knex, name, 'opencode_subjects', {
        title: fields.title ?? null,
        opencode_session_id: fields.opencodeSessionId ?? null,
      }),
    subject: async (id) => {
      const row = await knex('opencode_subjects').where({ id }).first()
      return row && { title: row.title, opencodeSessionId: row.opencode_session_id }
    },
  }
}

/** describeMessagePort's raw helpers on the shipped messages table, rows owned by `subjectId`. */
export function messagesRaw(
  knex: Knex,
  name: (typeof DATABASES)[number],
  subjectId: RowId,
): MessagePortFixture['raw'] {
  return {
    insertMessage: (fields = {}) =>
      insertRow(knex, name, 'opencode_messages', {
        subject_id: subjectId,
        status: fields.status ?? 'pending',
        content: fields.content ?? null,
      }),
    message: async (id) => {
      const row = await knex('opencode_messages').where({ id }).first()
      if (!row) return undefined
      return {
        status: row.status as MessageStatus,
        content: row.content,
        reasoning: row.reasoning,
        parts: json(row.parts_json),
        toolCalls: json(row.tool_calls_json),
        cost: num(row.cost),
        inputTokens: num(row.input_tokens),
        outputTokens: num(row.output_tokens),
        lastActivityAt: row.last_activity_at === null ? null : new Date(row.last_activity_at),
        opencodeSessionId: row.opencode_session_id,
        opencodeMessageId: row.opencode_message_id,
        requests: row.requests_json === null ? null : JSON.parse(row.requests_json),
      }
    },
  }
}

/** What a full-turn case runs on: the ports, a knex on the same tables, and how to drop it all. */
export interface TurnTarget {
  ports: { records: RecordPort; messages: MessagePort }
  knex: Knex
  drop(): Promise<void>
}

/**
 * A full Turn through `adapter` against the stand-in, per case: the final content, status, cost
 * (summed over the tool loop), tokens, parts and the written file, read back with plain knex.
 */
export function describeFullTurn(
  adapter: string,
  cases: ReadonlyArray<readonly [string, string]>,
  target: (name: (typeof DATABASES)[number], variant: string) => Promise<TurnTarget>,
): void {
  let standIn: RunningStandIn
  beforeAll(async () => {
    standIn = await startOpencodeStandIn({ heartbeatMs: 0 })
  })
  afterAll(async () => {
    await standIn.close()
  })

  describe.each(cases)(`a full turn through ${adapter} on %s (%s)`, (name, variant) => {
    let db: TurnTarget
    let knex: Knex
    beforeAll(async () => {
      db = await target(name as (typeof DATABASES)[number], variant)
      knex = db.knex
    })
    afterAll(async () => {
      await db.drop()
    })

    it('persists content, status, summed cost, tokens, parts and the written file', async () => {
      standIn.enqueue(
        scenario()
          .reasoning('Plan first.')
          .cost(0.0004, { input: 1000, output: 40, cache: { read: 100, write: 10 } })
          .write('/project/itinerary.md', '# Lisbon\n\n- Alfama\n')
          .text('The itinerary is in itinerary.md.')
          .cost(0.0006, { input: 1200, output: 60 }),
      )
      await knex('opencode_subjects').insert({ title: `trip on ${name}` })
      const subject = await knex('opencode_subjects').orderBy('id', 'desc').first()
      await knex('opencode_messages').insert({ subject_id: subject.id })
      const message = await knex('opencode_messages').orderBy('id', 'desc').first()
      const storage = new MemoryStorage()
      const kit = createOpencodeKit({
        client: standIn.url,
        ...db.ports,
        storage,
        permissions: 'server-defaults',
      })
      const created = standIn.stats.sessionsCreated

      const result = await kit.runTurn({
        subjectId: subject.id,
        messageId: message.id,
        prompt: `Plan a weekend (${name})`,
      })

      expect(result.status).toBe('completed')
      const row = await knex('opencode_messages').where({ id: message.id }).first()
      expect(row.status).toBe('completed')
      expect(row.content).toBe('The itinerary is in itinerary.md.')
      expect(row.reasoning).toBe('Plan first.')
      expect(Number(row.cost)).toBeCloseTo(0.001, 10)
      expect(Number(row.input_tokens)).toBe(2200)
      expect(Number(row.output_tokens)).toBe(100)
      expect(Number(row.cache_read_tokens)).toBe(100)
      const parts = typeof row.parts_json === 'string' ? JSON.parse(row.parts_json) : row.parts_json
      expect(parts.map((p: { type: string }) => p.type)).toEqual(['reasoning', 'tool', 'text'])
      const tools =
        typeof row.tool_calls_json === 'string' ? JSON.parse(row.tool_calls_json) : row.tool_calls_json
      expect(tools.map((p: { tool: string }) => p.tool)).toEqual(['write'])
      const stored = await knex('opencode_subjects').where({ id: subject.id }).first()
      expect(stored.opencode_session_id).toMatch(/^ses_/)
      expect(standIn.stats.sessionsCreated - created).toBe(1)
      const attachments = await storage.list(message.id)
      expect(attachments.map((a) => [a.filename, a.size])).toEqual([['itinerary.md', 19]])
    })
  })
}

/**
 * The race harness for `adapter` on each database: `processes` processes ensure sessions for the
 * same subjects against one loopback session counter (exactly one upstream session per subject,
 * zero orphans), race finalize against cancel on the same rows (exactly one terminal transition;
 * a winning cancel is never lost), and race real Turns against cancels. `portsModule` builds the
 * adapter's ports from RACE_KNEX_SPEC (a JSON KnexSpec of the test's isolated database).
 */
export function describeRaces(
  adapter: string,
  portsModule: string,
  { processes, rounds }: { processes: number; rounds: number },
): void {
  describe.each(DATABASES)(`${adapter} multi-process races on %s`, (name) => {
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
      processes: processes,
    })
    const insert = async (table: string, rows: Array<Record<string, unknown>>): Promise<number[]> => {
      await knex(table).insert(rows)
      const ids = await knex(table).select('id').orderBy('id', 'desc').limit(rows.length)
      return ids.map((r: { id: unknown }) => Number(r.id)).reverse()
    }

    it(`Session.ensure race: exactly one upstream session per subject, zero orphans (${processes} processes)`, {
      timeout: 240_000,
    }, async () => {
      const ids = await insert(
        'opencode_subjects',
        Array.from({ length: rounds }, (_, i) => ({ title: `race ${i}` })),
      )
      const { outcomes, stats } = await raceEnsure(options(), ids)
      expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([])
      const stored = await knex('opencode_subjects').whereIn('id', ids).select('id', 'opencode_session_id')
      for (const id of ids) {
        const mine = outcomes.filter((o) => o.kind === 'ensured' && Number(o.id) === id)
        expect(mine).toHaveLength(processes)
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
        Array.from({ length: rounds }, () => ({ subject_id: subject })),
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
        Array.from({ length: rounds }, () => ({ subject_id: subject })),
      )
      const { outcomes, stats } = await raceTurnCancel(options(), subject as number, ids)
      expect(outcomes.filter((o) => o.kind === 'failed')).toEqual([])
      // The turns raced Session.ensure too: never two sessions. None when every cancel came first (a
      // turn whose row already ended touches nothing), which a loaded machine makes possible.
      expect(stats.sessionsCreated).toBeLessThanOrEqual(1)
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
}

/**
 * A Turn's finalize racing a user's cancel on each of `ids` (pending rows), one row per round, the
 * cancel fired after a random number of macrotasks through the same port: a cancel that won is never
 * overwritten and a turn that finalized is never cancelled after. Asserts both outcomes happened
 * (the race was a race); the caller checks the rows' count of terminal transitions.
 */
export async function turnVsCancelRounds(messages: MessagePort, ids: RowId[]): Promise<void> {
  // The cancel fires after a random number of the turn's own port calls (from before the first to
  // after the last, ~10 in a turn), then a random number of macrotasks: a point in the turn, not in
  // time, so a loaded machine shifts nothing and both outcomes keep happening.
  const points = fc.sample(fc.tuple(fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 6 })), {
    numRuns: ids.length,
    seed: 99,
  })
  const tally = { completed: 0, cancelled: 0 }
  for (const [round, id] of ids.entries()) {
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
    const [calls, ticks] = points[round] ?? [0, 0]
    const reached = countingCalls(messages, calls)
    const turn = runTurn({
      messageId: id,
      messages: reached.port,
      session,
      client,
      prompt: 'ping',
      onError: () => {},
      emptyStreamRetryDelayMs: 0,
      finalExchangeTimeoutMs: 0,
    })
    // The stop button, from "another request" (the unwrapped port: its own statements).
    const cancel = (async () => {
      await Promise.race([reached.promise, turn])
      for (let i = 0; i < ticks; i++) await new Promise((r) => setImmediate(r))
      return messages.cancel(id)
    })()
    const [result, cancelled] = await Promise.all([turn, cancel])
    const expected = cancelled ? 'cancelled' : 'completed'
    expect((await messages.load(id)).status).toBe(expected)
    expect(result.status).toBe(expected)
    tally[expected]++
  }
  expect(tally.completed).toBeGreaterThan(0)
  expect(tally.cancelled).toBeGreaterThan(0)
}

/** `port` with every method call counted; `promise` resolves once `calls` calls have started. */
function countingCalls(port: MessagePort, calls: number): { port: MessagePort; promise: Promise<void> } {
  let started = 0
  let reached!: () => void
  const promise = new Promise<void>((resolve) => {
    reached = resolve
  })
  if (calls === 0) reached()
  const counted = new Proxy(port, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (++started === calls) reached()
        return value.apply(target, args)
      }
    },
  })
  return { port: counted, promise }
}
