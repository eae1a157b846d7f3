import { InvalidArgumentError } from './errors.js'
import { isObject } from './types.js'

/** Sources of parts that exist only on the event stream (never in the final messages). */
export const STREAM_ONLY_SOURCES = ['todo.updated'] as const

/** A stream-only source. */
export type StreamOnlySource = (typeof STREAM_ONLY_SOURCES)[number]

/**
 * Marks and recognizes stream-only parts, so the final-exchange merge keeps them in place instead
 * of replacing them with polled parts.
 */
export const PartSource = {
  /** True when `part.metadata.source` is a stream-only source. */
  streamOnly(part: unknown): boolean {
    if (!isObject(part) || !isObject(part.metadata)) return false
    return (STREAM_ONLY_SOURCES as readonly unknown[]).includes(part.metadata.source)
  },
  /** Stamp `part` (in place) as coming from `source`; rejects unknown sources. */
  stamp<T extends Record<string, unknown>>(part: T, source: string): T {
    if (!(STREAM_ONLY_SOURCES as readonly string[]).includes(source)) {
      throw new InvalidArgumentError(`Unknown part source: ${source}`)
    }
    const metadata = isObject(part.metadata) ? part.metadata : {}
    ;(part as Record<string, unknown>).metadata = { ...metadata, source }
    return part
  },
} as const
