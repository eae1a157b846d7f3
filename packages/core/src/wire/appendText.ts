import type { TextPart } from './types.js'

/** The chunks of one streamed part and the cached join of them. */
interface Chunks {
  list: string[]
  /** `list[0 … blocks)` are merged blocks; the rest are single deltas. */
  blocks: number
  joined: string | undefined
}

/** Deltas merged into one block at a time. */
const COMPACT_AFTER = 256

const byPart = new WeakMap<object, Chunks>()

/** Turns `part.content` into an accessor backed by `chunks` (still enumerable, so the part stays JSON). */
function install(part: TextPart): Chunks {
  const initial = typeof part.content === 'string' ? part.content : String(part.content ?? '')
  const chunks: Chunks = {
    list: initial === '' ? [] : [initial],
    blocks: initial === '' ? 0 : 1,
    joined: initial,
  }
  Object.defineProperty(part, 'content', {
    enumerable: true,
    configurable: true,
    get(): string {
      if (chunks.joined === undefined) {
        chunks.joined = chunks.list.join('')
        // Collapse, so the next read after more deltas joins one big string and a few small ones.
        chunks.list = chunks.joined === '' ? [] : [chunks.joined]
        chunks.blocks = chunks.list.length
      }
      return chunks.joined
    },
    set(value: unknown) {
      const text = typeof value === 'string' ? value : String(value ?? '')
      chunks.list = text === '' ? [] : [text]
      chunks.blocks = chunks.list.length
      chunks.joined = text
    },
  })
  byPart.set(part, chunks)
  return chunks
}

/**
 * Append `delta` to a streamed text or reasoning part in O(1): the delta is pushed onto the part's
 * chunk list, and `part.content` joins the chunks on the first read after a change and caches the
 * result. A long reply of n deltas therefore costs O(n) to ingest, instead of re-concatenating the
 * whole text on every delta. The part stays a plain, JSON-serializable object: `content` is an
 * enumerable accessor that `JSON.stringify`, spread and `structuredClone` read like a data
 * property, and assigning to it replaces the chunks.
 *
 * @example
 * ```ts
 * const part: TextPart = { type: 'text', content: '' }
 * appendText(part, 'Hel')
 * appendText(part, 'lo')
 * part.content // 'Hello'
 * ```
 */
export function appendText(part: TextPart, delta: string): void {
  if (delta === '') return
  const chunks = byPart.get(part) ?? install(part)
  chunks.list.push(delta)
  chunks.joined = undefined
  // Merge every run of small deltas into one block: a string per delta costs a header each (more
  // than a short delta's text), a block of 256 costs one. Each character is copied once more.
  if (chunks.list.length - chunks.blocks >= COMPACT_AFTER) {
    const merged = chunks.list.splice(chunks.blocks).join('')
    chunks.list.push(merged)
    chunks.blocks = chunks.list.length
  }
}

/** Length of a streamed part's accumulated content, without joining it. */
export function textLength(part: TextPart): number {
  const chunks = byPart.get(part)
  if (!chunks) return typeof part.content === 'string' ? part.content.length : 0
  if (chunks.joined !== undefined) return chunks.joined.length
  let total = 0
  for (const chunk of chunks.list) total += chunk.length
  return total
}
