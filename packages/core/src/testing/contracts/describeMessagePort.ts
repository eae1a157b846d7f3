import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MessagePort, MessageStatus, RowId, StoredPart } from '../../host/ports.js'
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

    it('touchActivity stamps lastActivityAt', async () => {
      const id = await fixture.raw.insertMessage()
      const at = new Date(Date.UTC(2026, 10, 24, 12, 30, 0))
      await fixture.messages.touchActivity(id, at)
      const stamped = (await fixture.raw.message(id))?.lastActivityAt
      expect(stamped).toBeInstanceOf(Date)
      expect(Math.abs((stamped as Date).getTime() - at.getTime())).toBeLessThan(1000)
    })
  })
}
