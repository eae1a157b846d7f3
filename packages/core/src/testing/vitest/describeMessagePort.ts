import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MessagePort, MessageStatus, RowId, StoredPart, StoredRequest } from '../../host/ports.js'
import { OpencodeError } from '../../wire/errors.js'

/** A message row as the adapter's raw driver read returns it (JSON columns parsed). */
export interface RawMessageRow {
  status: MessageStatus
  content: string | null
  reasoning: string | null
  parts: StoredPart[] | null
  toolCalls: StoredPart[] | null
  cost: number | null
  inputTokens: number | null
  outputTokens: number | null
  lastActivityAt: Date | null
  opencodeSessionId: string | null
  opencodeMessageId: string | null
  /** `requests_json` parsed (null when NULL). */
  requests: StoredRequest[] | null
}

/** What an adapter's test hands to {@link describeMessagePort}. */
export interface MessagePortFixture {
  messages: MessagePort
  raw: {
    /** Insert a message row (status default `pending`) with the driver directly; returns its id. */
    insertMessage(fields?: { status?: MessageStatus; content?: string | null }): Promise<RowId>
    /** Read a message row with the driver directly. */
    message(id: RowId): Promise<RawMessageRow | undefined>
  }
  close(): Promise<void>
}

const asked = (id: string, question = 'Deploy to "prod"? ✓'): StoredRequest => ({
  id,
  kind: 'question',
  status: 'pending',
  request: { kind: 'question', id, questions: [{ question, options: [{ label: 'Yes' }, { label: 'No' }] }] },
  askedAt: '2026-11-24T12:00:00.000Z',
})
const answered = (request: StoredRequest, answer: unknown): StoredRequest => ({
  ...request,
  status: 'answered',
  answer,
  resolvedAt: '2026-11-24T12:01:00.000Z',
})
const later = (days: number) => new Date(Date.UTC(1990, 0, 1 + days))

const parts: StoredPart[] = [
  { type: 'text', content: 'Héllo ✓ — "quoted"\nnew line' },
  { type: 'tool', tool: 'write', status: 'completed', input: { filePath: '/a/b.md', nested: { n: [1, 2] } } },
]

/**
 * The contract every {@link MessagePort} must meet, as a vitest suite: compare-and-set terminal
 * transitions (exactly one winner under concurrency), snapshots only while pending, plain updates
 * that never touch the status.
 */
export function describeMessagePort(name: string, factory: () => Promise<MessagePortFixture>): void {
  describe(`MessagePort contract: ${name}`, () => {
    let fixture: MessagePortFixture
    beforeAll(async () => {
      fixture = await factory()
    })
    afterAll(async () => {
      await fixture?.close()
    })

    it('load reads the row; a missing row is a typed OpencodeError', async () => {
      const id = await fixture.raw.insertMessage()
      const row = await fixture.messages.load(id)
      expect(String(row.id)).toBe(String(id))
      expect(row.status).toBe('pending')
      await expect(
        fixture.messages.load(typeof id === 'number' ? 987654321 : 'missing-row'),
      ).rejects.toBeInstanceOf(OpencodeError)
    })

    it('finalize moves pending → completed with its fields (JSON round-trips), exactly once', async () => {
      const id = await fixture.raw.insertMessage()
      expect(
        await fixture.messages.finalize(id, {
          content: 'done',
          reasoning: 'because',
          parts: parts,
          toolCalls: [parts[1] as StoredPart],
          cost: 0.0125,
          inputTokens: 100,
          outputTokens: 50,
        }),
      ).toBe(true)
      const row = await fixture.raw.message(id)
      expect(row).toMatchObject({
        status: 'completed',
        content: 'done',
        reasoning: 'because',
        inputTokens: 100,
        outputTokens: 50,
      })
      expect(row?.parts).toEqual(parts)
      expect(row?.cost).toBeCloseTo(0.0125, 6)
      expect(await fixture.messages.finalize(id, { content: 'again' })).toBe(false)
      expect((await fixture.raw.message(id))?.content).toBe('done')
    })

    it("a user's cancel wins: finalize after cancel answers false and overwrites nothing", async () => {
      const id = await fixture.raw.insertMessage({ content: 'partial' })
      expect(await fixture.messages.cancel(id)).toBe(true)
      expect(await fixture.messages.finalize(id, { content: 'late final' })).toBe(false)
      expect(await fixture.messages.error(id, 'late error')).toBe(false)
      expect(await fixture.messages.cancel(id)).toBe(false)
      expect(await fixture.raw.message(id)).toMatchObject({ status: 'cancelled', content: 'partial' })
    })

    it('error moves pending → error writing the content; never from a terminal row', async () => {
      const id = await fixture.raw.insertMessage()
      expect(
        await fixture.messages.error(id, 'Sorry, an error occurred while generating this response.'),
      ).toBe(true)
      expect(await fixture.raw.message(id)).toMatchObject({
        status: 'error',
        content: 'Sorry, an error occurred while generating this response.',
      })
      const done = await fixture.raw.insertMessage({ status: 'completed', content: 'kept' })
      expect(await fixture.messages.error(done, 'nope')).toBe(false)
      expect(await fixture.raw.message(done)).toMatchObject({ status: 'completed', content: 'kept' })
    })

    it('racing finalize, cancel and error calls: exactly one wins, and the row shows the winner', async () => {
      for (let round = 0; round < 5; round++) {
        const id = await fixture.raw.insertMessage()
        const calls = [
          ...Array.from(
            { length: 4 },
            (_, i) => () =>
              fixture.messages
                .finalize(id, { content: `final ${i}` })
                .then((won) => ['completed', won] as const),
          ),
          ...Array.from(
            { length: 4 },
            () => () => fixture.messages.cancel(id).then((won) => ['cancelled', won] as const),
          ),
          ...Array.from(
            { length: 2 },
            () => () => fixture.messages.error(id, 'err').then((won) => ['error', won] as const),
          ),
        ]
        const results = await Promise.all(calls.map((call) => call()))
        const winners = results.filter(([, won]) => won)
        expect(winners).toHaveLength(1)
        expect((await fixture.raw.message(id))?.status).toBe(winners[0]?.[0])
      }
    })

    it('update writes fields and never touches the status (the cancelled path)', async () => {
      const id = await fixture.raw.insertMessage({ status: 'cancelled' })
      await fixture.messages.update(id, { content: 'Response was stopped.', parts: parts })
      const row = await fixture.raw.message(id)
      expect(row).toMatchObject({ status: 'cancelled', content: 'Response was stopped.' })
      expect(row?.parts).toEqual(parts)
    })

    it('snapshot writes only the given columns, only while pending', async () => {
      const id = await fixture.raw.insertMessage({ content: 'before' })
      await fixture.messages.update(id, { reasoning: 'keep me' })
      expect(await fixture.messages.snapshot(id, { content: 'so far', parts: parts })).toBe(true)
      expect(await fixture.raw.message(id)).toMatchObject({
        status: 'pending',
        content: 'so far',
        reasoning: 'keep me',
      })
      expect(await fixture.messages.cancel(id)).toBe(true)
      expect(await fixture.messages.snapshot(id, { content: 'after the cancel' })).toBe(false)
      expect((await fixture.raw.message(id))?.content).toBe('so far')
    })

    it('snapshot with lastActivityAt stamps the row in the same write (the heartbeat of a streaming turn)', async () => {
      const id = await fixture.raw.insertMessage()
      const at = new Date(Date.UTC(2026, 10, 24, 12, 31, 0))
      expect(await fixture.messages.snapshot(id, { content: 'so far', lastActivityAt: at })).toBe(true)
      const row = await fixture.raw.message(id)
      expect(row).toMatchObject({ status: 'pending', content: 'so far' })
      const stamped = row?.lastActivityAt
      expect(stamped).toBeInstanceOf(Date)
      expect(Math.abs((stamped as Date).getTime() - at.getTime())).toBeLessThan(1000)
    })

    it('touchActivity stamps lastActivityAt', async () => {
      const id = await fixture.raw.insertMessage()
      const at = new Date(Date.UTC(2026, 10, 24, 12, 30, 0))
      await fixture.messages.touchActivity(id, at)
      const stamped = (await fixture.raw.message(id))?.lastActivityAt
      expect(stamped).toBeInstanceOf(Date)
      expect(Math.abs((stamped as Date).getTime() - at.getTime())).toBeLessThan(1000)
    })

    it('a new row reads null upstream ids and no requests', async () => {
      const id = await fixture.raw.insertMessage()
      expect(await fixture.messages.load(id)).toMatchObject({
        opencodeSessionId: null,
        opencodeMessageId: null,
        requests: null,
      })
    })

    it('claimPrompt stores both upstream ids once, only while pending, and load reads them', async () => {
      const id = await fixture.raw.insertMessage()
      const claim = { opencodeSessionId: 'ses_claim1', opencodeMessageId: 'msg_claim1' }
      expect(await fixture.messages.claimPrompt(id, claim)).toBe(true)
      expect(
        await fixture.messages.claimPrompt(id, {
          opencodeSessionId: 'ses_other',
          opencodeMessageId: 'msg_other',
        }),
      ).toBe(false)
      expect(await fixture.raw.message(id)).toMatchObject({ status: 'pending', ...claim })
      expect(await fixture.messages.load(id)).toMatchObject(claim)
      const done = await fixture.raw.insertMessage({ status: 'cancelled' })
      expect(await fixture.messages.claimPrompt(done, claim)).toBe(false)
      expect(await fixture.raw.message(done)).toMatchObject({
        opencodeSessionId: null,
        opencodeMessageId: null,
      })
    })

    it('racing claimPrompt callers: exactly one wins, and the row holds its ids', async () => {
      for (let round = 0; round < 3; round++) {
        const id = await fixture.raw.insertMessage()
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            fixture.messages.claimPrompt(id, {
              opencodeSessionId: `ses_${round}_${i}`,
              opencodeMessageId: `msg_${round}_${i}`,
            }),
          ),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = results.indexOf(true)
        expect(await fixture.raw.message(id)).toMatchObject({
          opencodeSessionId: `ses_${round}_${winner}`,
          opencodeMessageId: `msg_${round}_${winner}`,
        })
      }
    })

    it('listStalled: pending rows whose activity is older than `before`, oldest first, at most `limit`', async () => {
      // Activity in 1990: no other test's rows are that old, so the answer is exactly these rows.
      const oldest = await fixture.raw.insertMessage()
      const older = await fixture.raw.insertMessage()
      const recent = await fixture.raw.insertMessage()
      const finished = await fixture.raw.insertMessage()
      const neverStarted = await fixture.raw.insertMessage()
      await fixture.messages.touchActivity(older, later(5))
      await fixture.messages.touchActivity(oldest, later(1))
      await fixture.messages.touchActivity(recent, later(40))
      await fixture.messages.touchActivity(finished, later(2))
      expect(await fixture.messages.finalize(finished, { content: 'done' })).toBe(true)
      const before = later(30)
      const ids = (list: RowId[]) => list.map(String)
      expect(ids(await fixture.messages.listStalled({ before, limit: 10 }))).toEqual(ids([oldest, older]))
      expect(ids(await fixture.messages.listStalled({ before, limit: 1 }))).toEqual(ids([oldest]))
      expect(await fixture.messages.listStalled({ before: later(3), limit: 10 })).toHaveLength(1)
      expect(ids(await fixture.messages.listStalled({ before: later(100), limit: 10 }))).not.toContain(
        String(neverStarted),
      )
    })

    it('claimStalled takes a stalled pending row once: never a fresh, never-started or finished one', async () => {
      const stalled = await fixture.raw.insertMessage()
      const fresh = await fixture.raw.insertMessage()
      const neverStarted = await fixture.raw.insertMessage()
      const finished = await fixture.raw.insertMessage()
      await fixture.messages.touchActivity(stalled, later(1))
      await fixture.messages.touchActivity(fresh, later(40))
      await fixture.messages.touchActivity(finished, later(1))
      expect(await fixture.messages.error(finished, 'ended')).toBe(true)
      const lease = { before: later(30), at: later(50) }
      expect(await fixture.messages.claimStalled(stalled, lease)).toBe(true)
      const stamped = (await fixture.messages.load(stalled)).lastActivityAt as Date
      expect(Math.abs(stamped.getTime() - lease.at.getTime())).toBeLessThan(1000)
      // The lease stamped it: a second recoverer with the same view loses, and it is no longer listed.
      expect(await fixture.messages.claimStalled(stalled, lease)).toBe(false)
      expect(
        (await fixture.messages.listStalled({ before: later(30), limit: 10 })).map(String),
      ).not.toContain(String(stalled))
      expect(await fixture.messages.claimStalled(fresh, lease)).toBe(false)
      expect(await fixture.messages.claimStalled(neverStarted, lease)).toBe(false)
      expect(await fixture.messages.claimStalled(finished, lease)).toBe(false)
      expect(await fixture.raw.message(finished)).toMatchObject({ status: 'error', content: 'ended' })
    })

    it('racing claimStalled callers: exactly one takes the row', async () => {
      for (let round = 0; round < 3; round++) {
        const id = await fixture.raw.insertMessage()
        await fixture.messages.touchActivity(id, later(1))
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            fixture.messages.claimStalled(id, { before: later(30), at: later(31 + i) }),
          ),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
      }
    })

    it('updateRequests: compare-and-set on the stored requests, JSON round-trips, status untouched', async () => {
      const id = await fixture.raw.insertMessage({ content: 'asking' })
      const first = asked('que_1')
      expect(await fixture.messages.updateRequests(id, null, [first])).toBe(true)
      expect(await fixture.messages.updateRequests(id, null, [asked('que_other')])).toBe(false)
      expect((await fixture.raw.message(id))?.requests).toEqual([first])
      expect((await fixture.messages.load(id)).requests).toEqual([first])
      const second = asked('que_2', 'Second — "again"\nline')
      const stored = (await fixture.messages.load(id)).requests
      expect(await fixture.messages.updateRequests(id, stored, [first, second])).toBe(true)
      expect(await fixture.messages.updateRequests(id, stored, [first])).toBe(false)
      const both = (await fixture.messages.load(id)).requests
      const next = [answered(first, { answers: [['Yes']] }), second]
      expect(await fixture.messages.updateRequests(id, both, next)).toBe(true)
      expect(await fixture.raw.message(id)).toMatchObject({
        status: 'pending',
        content: 'asking',
        requests: next,
      })
      // Answers that differ only in letter case are different answers.
      const cased = [answered(first, 'yes')]
      expect(await fixture.messages.updateRequests(id, next, cased)).toBe(true)
      expect(await fixture.messages.updateRequests(id, [answered(first, 'YES')], [first])).toBe(false)
      expect((await fixture.raw.message(id))?.requests).toEqual(cased)
    })

    it('racing answers to one request: exactly one updateRequests wins, and the row holds its answer', async () => {
      for (let round = 0; round < 3; round++) {
        const id = await fixture.raw.insertMessage()
        const request = asked(`que_race_${round}`)
        expect(await fixture.messages.updateRequests(id, null, [request])).toBe(true)
        const expected = (await fixture.messages.load(id)).requests
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            fixture.messages.updateRequests(id, expected, [answered(request, `answer ${i}`)]),
          ),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        expect((await fixture.raw.message(id))?.requests).toEqual([
          answered(request, `answer ${results.indexOf(true)}`),
        ])
      }
    })
  })
}
