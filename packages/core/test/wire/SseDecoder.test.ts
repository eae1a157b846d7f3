import { createParser, type EventSourceMessage } from 'eventsource-parser'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ServerError } from '../../src/index.js'
import { FrameTooLargeError, SseDecoder, type SseFrame } from '../../src/wire/index.js'

const decodeAll = (chunks: string[], options?: { maxFrameSize?: number }) => {
  const decoder = new SseDecoder(options)
  return chunks.flatMap((chunk) => decoder.feed(chunk))
}

describe('SseDecoder (wire-client §2 frame rules)', () => {
  it('frames are separated by a blank line; data lines are joined by "\\n"', () => {
    expect(decodeAll(['data: a\ndata: b\n\ndata: c\n\n'])).toEqual([{ data: 'a\nb' }, { data: 'c' }])
  })

  it('accepts LF, CR and CRLF line ends, and a CRLF split across chunks is one line end', () => {
    expect(decodeAll(['data: 1\r\n\r\ndata: 2\r\rdata: 3\n\n'])).toEqual([
      { data: '1' },
      { data: '2' },
      { data: '3' },
    ])
    expect(decodeAll(['data: 1\r', '\n', '\r', '\ndata: 2\r\n\r\n'])).toEqual([{ data: '1' }, { data: '2' }])
  })

  it('ignores comment lines and removes exactly one leading space', () => {
    expect(decodeAll([': keep-alive\ndata:  two spaces\n\n'])).toEqual([{ data: ' two spaces' }])
  })

  it('allows a UTF-8 BOM at the start of the first frame', () => {
    expect(decodeAll(['\uFEFFdata: x\n\n'])).toEqual([{ data: 'x' }])
  })

  it('reassembles frames split at every possible point', () => {
    const stream = 'data: {"type":"server.connected"}\n\ndata: {"a":1}\r\n\r\n'
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(decodeAll([stream.slice(0, cut), stream.slice(cut)])).toEqual([
        { data: '{"type":"server.connected"}' },
        { data: '{"a":1}' },
      ])
    }
  })

  it('defect 7: a 5 MiB frame (one large tool output) passes; the Ruby client died over 1 MiB', () => {
    const big = 'x'.repeat(5 * 1024 * 1024)
    const frames = decodeAll([`data: ${big.slice(0, 1000)}`, `${big.slice(1000)}\n\n`])
    expect(frames[0]?.data.length).toBe(big.length)
  })

  it('a frame over the configured cap raises FrameTooLargeError, a ServerError', () => {
    const decoder = new SseDecoder({ maxFrameSize: 1024 })
    expect(() => decoder.feed(`data: ${'y'.repeat(2000)}`)).toThrow(FrameTooLargeError)
    expect(new FrameTooLargeError('x')).toBeInstanceOf(ServerError)
    // Also when the frame grows over many small data lines.
    const lines = new SseDecoder({ maxFrameSize: 1024 })
    expect(() => {
      for (let i = 0; i < 200; i++) lines.feed('data: 0123456789\n')
    }).toThrow(FrameTooLargeError)
  })

  it('flush() dispatches a last frame without a trailing blank line', () => {
    const decoder = new SseDecoder()
    expect(decoder.feed('data: tail')).toEqual([])
    expect(decoder.flush()).toEqual([{ data: 'tail' }])
  })

  it('agrees with eventsource-parser on random streams cut into random chunks (differential, fast-check)', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 20 }).map((s) => `data: ${s.replace(/[\r\n]/g, '')}`),
      fc.string({ maxLength: 10 }).map((s) => `data:${s.replace(/[\r\n]/g, '')}`),
      fc.constant(': comment'),
      fc.constant(':'),
      fc.constant('event: message'),
      fc.constantFrom('event: message.part.delta', 'event:', 'id: evt_1', 'retry: 100', 'data', 'foo: bar'),
      fc.constant(''),
    )
    const eol = fc.constantFrom('\n', '\r\n', '\r')
    const stream = fc
      .tuple(fc.boolean(), fc.array(fc.tuple(line, eol), { maxLength: 30 }))
      .map(([bom, pairs]) => `${bom ? '\uFEFF' : ''}${pairs.map(([l, e]) => l + e).join('')}\n\n`)
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 10 }), (text, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
        const chunks: string[] = []
        let last = 0
        for (const point of points) {
          chunks.push(text.slice(last, point))
          last = point
        }
        chunks.push(text.slice(last))
        const ours: SseFrame[] = decodeAll(chunks)
        const theirs: EventSourceMessage[] = []
        const parser = createParser({ onEvent: (event) => theirs.push(event) })
        // eventsource-parser only strips a BOM given as raw UTF-8 bytes; ours strips the decoded U+FEFF
        // (what a TextDecoder with ignoreBOM leaves), so its input is given without it.
        let bomPending = true
        for (const chunk of chunks) {
          if (bomPending && chunk.length > 0) {
            bomPending = false
            parser.feed(chunk.replace(/^\uFEFF/, ''))
          } else parser.feed(chunk)
        }
        expect(ours.map((f) => [f.data, f.event])).toEqual(theirs.map((e) => [e.data, e.event]))
      }),
      { numRuns: 500 },
    )
  })
})
