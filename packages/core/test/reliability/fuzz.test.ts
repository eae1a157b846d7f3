// Fuzzing the stream path: ≥ 10k generated event streams — valid events of every kind, malformed
// JSON, junk-shaped but valid JSON, unknown events, comments, truncated and oversized frames — cut
// into random chunks and fed through SseDecoder + Reply. Nothing may throw except the typed
// FrameTooLargeError, the reply must stay consistent, and an endless frame must stop at the cap.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OpencodeError, type OpencodeEvent } from '../../src/index.js'
import { FrameTooLargeError, Reply, SseDecoder } from '../../src/wire/index.js'

const CAP = 2048
const S = 'ses_fuzz'
const partId = fc.constantFrom('prt_1', 'prt_2', 'prt_3', 'prt_user')
const messageId = fc.constantFrom('msg_a', 'msg_b', 'msg_user')

const knownEvent: fc.Arbitrary<OpencodeEvent> = fc.oneof(
  fc.record({
    type: fc.constant('message.part.delta'),
    properties: fc.record({
      sessionID: fc.constant(S),
      messageID: messageId,
      partID: partId,
      field: fc.constantFrom('text', 'reasoning', 'other'),
      delta: fc.string({ maxLength: 20 }),
    }),
  }),
  fc.record({
    type: fc.constant('message.part.updated'),
    properties: fc.record({
      sessionID: fc.constant(S),
      part: fc.oneof(
        fc.record({
          id: partId,
          messageID: messageId,
          type: fc.constantFrom('text', 'reasoning'),
          text: fc.string({ maxLength: 30 }),
        }),
        fc.record({
          id: partId,
          messageID: messageId,
          type: fc.constant('tool'),
          tool: fc.constantFrom('write', 'bash', 'todowrite', 'read', 'mcp_x'),
          callID: fc.constantFrom('c1', 'c2'),
          state: fc.record({
            status: fc.constantFrom('pending', 'running', 'completed', 'error', 'weird'),
            input: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })),
            output: fc.option(fc.string({ maxLength: 20 })),
          }),
        }),
        fc.record({
          id: partId,
          messageID: messageId,
          type: fc.constant('step-finish'),
          cost: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant('x' as unknown as number)),
          tokens: fc.record({ input: fc.nat(1000), output: fc.nat(1000) }),
        }),
      ),
    }),
  }),
  fc.record({
    type: fc.constant('message.updated'),
    properties: fc.record({
      sessionID: fc.constant(S),
      info: fc.record({
        id: messageId,
        role: fc.constantFrom('user', 'assistant'),
        cost: fc.double({ noNaN: true }),
      }),
    }),
  }),
  fc.record({
    type: fc.constant('todo.updated'),
    properties: fc.record({
      sessionID: fc.constant(S),
      todos: fc.array(
        fc.record({ content: fc.string({ maxLength: 10 }), status: fc.string({ maxLength: 8 }) }),
        {
          maxLength: 4,
        },
      ),
    }),
  }),
  fc.record({
    type: fc.constantFrom('session.status', 'session.error', 'session.idle'),
    properties: fc.record({
      sessionID: fc.constant(S),
      status: fc.record({ type: fc.constantFrom('busy', 'retry', 'idle'), attempt: fc.nat(5) }),
      error: fc.record({
        name: fc.string({ maxLength: 8 }),
        data: fc.record({ message: fc.string({ maxLength: 8 }) }),
      }),
    }),
  }),
  fc.record({
    type: fc.constantFrom('question.asked', 'question.replied', 'permission.asked', 'permission.replied'),
    properties: fc.record({
      sessionID: fc.constant(S),
      id: fc.constantFrom('q1', 'q2'),
      requestID: fc.constantFrom('q1', 'q2'),
      questions: fc.array(fc.record({ question: fc.string({ maxLength: 8 }) }), { maxLength: 2 }),
    }),
  }),
) as fc.Arbitrary<OpencodeEvent>

/** Valid JSON of the wrong shape: properties null, parts as strings, deltas as numbers… */
const junkEvent = fc.record({
  type: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('message.part.delta', 'message.part.updated')),
  properties: fc.jsonValue({ maxDepth: 3 }),
})

type Item = { kind: 'event'; text: string } | { kind: 'raw'; text: string }
const item: fc.Arbitrary<Item> = fc.oneof(
  {
    weight: 6,
    arbitrary: knownEvent.map((e) => ({ kind: 'event' as const, text: `data: ${JSON.stringify(e)}\n\n` })),
  },
  {
    weight: 2,
    arbitrary: junkEvent.map((e) => ({ kind: 'event' as const, text: `data: ${JSON.stringify(e)}\n\n` })),
  },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 30 }).map((t) => ({ kind: 'raw' as const, text: `data: {${t}\n\n` })),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ maxLength: 20 })
      .map((t) => ({ kind: 'raw' as const, text: `: ${t.replace(/[\r\n]/g, '')}\n` })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'raw' as const, text: `data: "${'x'.repeat(CAP)}"\n\n` }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('\r\n', '\n', 'event: x\n', 'id: 7\n', 'retry: 10\n')
      .map((text) => ({ kind: 'raw' as const, text })),
  },
)

/** Split `text` at the given (sorted, deduplicated) offsets. */
const chunk = (text: string, cuts: number[]) => {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
  const chunks: string[] = []
  let last = 0
  for (const point of points) {
    chunks.push(text.slice(last, point))
    last = point
  }
  chunks.push(text.slice(last))
  return chunks
}

describe('reliability: fuzzed streams through SseDecoder + Reply', () => {
  it('10k generated streams: only typed errors, a consistent reply, never a crash', () => {
    let typedErrors = 0
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 25 }),
        fc.array(fc.nat(5000), { maxLength: 12 }),
        fc.boolean(),
        (items, cuts, truncate) => {
          let text = items.map((i) => i.text).join('')
          if (truncate && text.length > 3) text = text.slice(0, -3) // the connection died mid-frame
          const decoder = new SseDecoder({ maxFrameSize: CAP })
          const reply = new Reply()
          try {
            for (const piece of chunk(text, cuts)) {
              for (const frame of decoder.feed(piece)) {
                let event: unknown
                try {
                  event = JSON.parse(frame.data)
                } catch {
                  continue // malformed frames are skipped (the Client reports them)
                }
                reply.apply(event as OpencodeEvent)
              }
            }
            decoder.flush()
          } catch (error) {
            expect(error).toBeInstanceOf(OpencodeError)
            expect(error).toBeInstanceOf(FrameTooLargeError)
            typedErrors++
          }
          const result = reply.result
          expect(typeof result.fullText).toBe('string')
          expect(Array.isArray(result.parts)).toBe(true)
          expect(Number.isFinite(reply.totalCost)).toBe(true)
          expect(reply.toolCount).toBeLessThanOrEqual(reply.parts.length)
          expect(() => JSON.stringify(result.parts)).not.toThrow()
        },
      ),
      { numRuns: 10_000, seed: 424242 },
    )
    expect(typedErrors).toBeGreaterThan(0) // the oversize frames were really generated
  })

  it('an endless frame stops at the cap (bounded memory), in any chunking', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), (size) => {
        const decoder = new SseDecoder({ maxFrameSize: CAP })
        let data = 0 // characters of frame data the decoder was asked to hold
        const piece = `data: ${'y'.repeat(size)}\n`
        expect(() => {
          for (let i = 0; i < 100_000; i++) {
            decoder.feed(piece)
            data += size + 1
          }
        }).toThrow(FrameTooLargeError)
        expect(data).toBeLessThanOrEqual(CAP + 2 * (size + 1))
      }),
      { numRuns: 200, seed: 7 },
    )
  })
})
