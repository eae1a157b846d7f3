import { FrameTooLargeError } from './errors.js'

/** One server-sent event. */
export interface SseFrame {
  /** The `data:` lines joined by "\n". */
  data: string
  /** The `event:` field, when present. */
  event?: string
  /** The `id:` field, when present. */
  id?: string
}

/** Options of {@link SseDecoder}. */
export interface SseDecoderOptions {
  /**
   * Largest frame, in UTF-16 code units of accumulated data (≈ bytes for JSON), before the stream
   * fails with {@link FrameTooLargeError}. Default 32 MiB: one large tool output fits; an endless
   * frame does not grow without bound. (The Ruby client died on any buffer over 1 MiB.)
   */
  maxFrameSize?: number
}

/** Default {@link SseDecoderOptions.maxFrameSize}. */
export const DEFAULT_MAX_FRAME_SIZE = 32 * 1024 * 1024

const LF = 10
const CR = 13

/**
 * An incremental decoder for the `text/event-stream` format (WHATWG HTML §9.2): feed it decoded
 * text chunks as they arrive, split anywhere, and it returns the complete frames. Handles LF, CR and
 * CRLF line ends (a CRLF split across chunks is one line end), comment lines, multi-line `data:`,
 * one optional space after the colon, and a UTF-8 BOM at the start of the stream.
 *
 * @example
 * ```ts
 * const decoder = new SseDecoder()
 * for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
 *   for (const frame of decoder.feed(chunk)) console.log(JSON.parse(frame.data))
 * }
 * ```
 */
export class SseDecoder {
  private readonly maxFrameSize: number
  private partialLine = ''
  private data: string[] = []
  private dataSize = 0
  private event: string | undefined
  private id: string | undefined
  private atStart = true
  private skipLineFeed = false

  /** A decoder for one stream (it keeps the partial frame between chunks). */
  constructor(options: SseDecoderOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE
  }

  /** Decode one chunk; returns the frames it completed (possibly none). */
  feed(chunk: string): SseFrame[] {
    let text = chunk
    if (this.atStart && text.length > 0) {
      this.atStart = false
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    const frames: SseFrame[] = []
    let start = 0
    if (this.skipLineFeed && text.length > 0) {
      this.skipLineFeed = false
      if (text.charCodeAt(0) === LF) start = 1
    }
    const length = text.length
    let i = start
    // Next CR and LF positions are cached: re-scanning for a CR that never comes would make a
    // chunk of many LF-terminated lines quadratic.
    let lf = -2
    let cr = -2
    while (i < length) {
      if (lf !== -1 && lf < i) lf = text.indexOf('\n', i)
      if (cr !== -1 && cr < i) cr = text.indexOf('\r', i)
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr)
      if (end === -1) break
      const line =
        this.partialLine.length > 0 ? this.partialLine + text.slice(start, end) : text.slice(start, end)
      this.partialLine = ''
      this.processLine(line, frames)
      if (text.charCodeAt(end) === CR) {
        if (end + 1 < length) {
          i = text.charCodeAt(end + 1) === LF ? end + 2 : end + 1
        } else {
          this.skipLineFeed = true
          i = end + 1
        }
      } else {
        i = end + 1
      }
      start = i
    }
    if (start < length) {
      this.partialLine += text.slice(start)
      if (this.dataSize + this.partialLine.length > this.maxFrameSize) this.tooLarge()
    }
    return frames
  }

  /** Dispatch a final frame that was not followed by a blank line (end of stream). */
  flush(): SseFrame[] {
    const frames: SseFrame[] = []
    if (this.partialLine.length > 0) {
      this.processLine(this.partialLine, frames)
      this.partialLine = ''
    }
    this.processLine('', frames)
    return frames
  }

  private processLine(line: string, frames: SseFrame[]): void {
    if (line.length === 0) {
      if (this.data.length > 0) {
        // One data line (the usual case) is the frame as it is: no join, no copy.
        const frame: SseFrame = {
          data: this.data.length === 1 ? (this.data[0] as string) : this.data.join('\n'),
        }
        if (this.event !== undefined) frame.event = this.event
        if (this.id !== undefined) frame.id = this.id
        frames.push(frame)
      }
      this.data = []
      this.dataSize = 0
      this.event = undefined
      return
    }
    if (line.charCodeAt(0) === 58 /* : */) return
    if (line.startsWith('data:')) {
      // The hot path: one slice per line, no field string.
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5)
      this.dataSize += value.length + 1
      if (this.dataSize > this.maxFrameSize) this.tooLarge()
      this.data.push(value)
      return
    }
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    if (field === 'data') {
      this.dataSize += value.length + 1
      if (this.dataSize > this.maxFrameSize) this.tooLarge()
      this.data.push(value)
    } else if (field === 'event') {
      // An empty event field means the default type, as if absent.
      this.event = value === '' ? undefined : value
    } else if (field === 'id') {
      if (!value.includes('\0')) this.id = value
    }
  }

  private tooLarge(): never {
    const size = this.dataSize + this.partialLine.length
    this.data = []
    this.dataSize = 0
    this.partialLine = ''
    throw new FrameTooLargeError(`SSE frame exceeds ${this.maxFrameSize} characters (at least ${size})`)
  }
}
