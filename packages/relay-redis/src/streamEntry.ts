import type { TurnEvent } from '@opencode-kit/core'

// A turn's log is one Redis Stream whose entry ids are `0-<seq>`: resuming after a seq is an XREAD
// from `0-<seq>`, and writing an event twice (a retried pipeline) is refused by Redis instead of
// duplicated, because stream ids only grow.

/** The stream entry id of the event with this `seq`. */
export const entryId = (seq: number): string => `0-${seq}`

/** The `seq` an entry id stands for. */
export const seqOfEntry = (id: string): number => Number(id.slice(id.indexOf('-') + 1))

/** The entry's only field: the event as JSON. */
export const EVENT_FIELD = 'e'

/** Redis's refusal of an id at or below the stream's top: the entry is already there. */
export const isAlreadyWritten = (error: Error): boolean => error.message.includes('equal or smaller')

/** A reply from the server (WRONGTYPE, OOM…), as opposed to a connection that failed. */
export const isServerReply = (error: Error): boolean => error.name === 'ReplyError'

/** Decode one entry's fields; undefined when it is not an event this relay wrote. */
export function decodeEntry(fields: string[]): TurnEvent | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== EVENT_FIELD) continue
    try {
      const event = JSON.parse(fields[i + 1] as string) as unknown
      if (event && typeof event === 'object' && typeof (event as { type?: unknown }).type === 'string')
        return event as TurnEvent
    } catch {
      return undefined
    }
  }
  return undefined
}
