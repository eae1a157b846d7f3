import { InvalidArgumentError } from './errors.js'
import { isObject } from './types.js'

/** Sources of parts that exist only on the event stream (never in the final messages). */
const STREAM_ONLY_SOURCES: readonly string[] = ['todo.updated']

/**
 * True when `part` exists only on the event stream (`metadata.source` is a stream-only source,
 * such as the todo part made from `todo.updated`): the final-exchange merge keeps it in place
 * instead of replacing it with a polled part.
 *
 * @example
 * ```ts
 * isStreamOnlyPart({ type: 'tool', tool: 'todowrite', metadata: { source: 'todo.updated' } }) // true
 * ```
 */
export function isStreamOnlyPart(part: unknown): boolean {
  if (!isObject(part) || !isObject(part.metadata)) return false
  return STREAM_ONLY_SOURCES.includes(part.metadata.source as string)
}

/** Stamp `part` (in place) as coming from the stream-only `source`; rejects unknown sources. */
export function stampPartSource<T extends Record<string, unknown>>(part: T, source: string): T {
  if (!STREAM_ONLY_SOURCES.includes(source)) throw new InvalidArgumentError(`Unknown part source: ${source}`)
  const metadata = isObject(part.metadata) ? part.metadata : {}
  ;(part as Record<string, unknown>).metadata = { ...metadata, source }
  return part
}
