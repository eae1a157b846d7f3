import type { Clock } from '@opencode-kit/core'
import type { Redis } from 'ioredis'
import { RelayError } from './RelayError.js'
import type { RelayReport } from './reporter.js'
import { entryId, seqOfEntry } from './streamEntry.js'

/** One stream entry as XREAD returns it: `[id, [field, value, …]]`. */
export type StreamEntry = [id: string, fields: string[]]

/** A subscription as the hub sees it. */
export interface HubReader {
  readonly key: string
  /** Highest `seq` handed to this reader so far. */
  lastSeq: number
  /** Entries read for it, not yet taken. */
  readonly buffer: StreamEntry[]
  /** Told when entries arrived, or when `blockMs` passed without any (`idle`). */
  wake(idle: boolean): void
}

/** The shared blocking reader of a relay. */
export interface ReadHub {
  /** Start reading for `reader` (after its `lastSeq`). */
  add(reader: HubReader): void
  /** Stop reading for it. */
  remove(reader: HubReader): void
  /** Its consumer took entries: read for it again if it had fallen too far behind. */
  taken(reader: HubReader): void
  /** Close the blocking connection; readers added later open a new one. */
  close(): void
}

/** Settings of {@link createReadHub}. */
export interface ReadHubSettings {
  redis: Redis
  /** Prefix for the hub's wake-up stream. */
  prefix: string
  blockMs: number
  clock: Clock
  report: RelayReport
}

const READ_COUNT = 500
/** A reader with this many entries not taken is not read for until its consumer catches up… */
const HIGH_WATER = 1_000
/** …to this many. */
const LOW_WATER = 100
const MIN_BACKOFF_MS = 100
const MAX_BACKOFF_MS = 5_000

/**
 * One `XREAD BLOCK` for every subscription of a relay, on one connection of its own
 * (`redis.duplicate()`), instead of a connection and a round trip per subscription: each read
 * names every followed stream at the lowest position a reader needs, and hands each reader the
 * entries past its own `lastSeq`. A reader whose consumer falls behind by `HIGH_WATER` entries is
 * left out of the reads (Redis keeps its events) until it is back under `LOW_WATER`. A new reader
 * interrupts the pending read by adding to a wake-up stream the read always includes (no `CLIENT
 * UNBLOCK`, which managed Redis often forbids). The connection closes when the last reader goes.
 */
export function createReadHub(settings: ReadHubSettings): ReadHub {
  const { redis, clock, report } = settings
  const wakeKey = `${settings.prefix}__wake:${crypto.randomUUID()}`
  const readers = new Set<HubReader>()
  const paused = new Set<HubReader>()
  const quietSince = new Map<HubReader, number>()
  let connection: Redis | undefined
  /** Bumped when the connection is replaced: a loop of an older one stops. */
  let generation = 0
  let looping = false
  let wakeId = '0-0'
  let failing = false

  function wakeUp(): void {
    const pipeline = redis.pipeline()
    pipeline.xadd(wakeKey, 'MAXLEN', '1', '*', 'w', '1')
    pipeline.pexpire(wakeKey, 60_000)
    pipeline.exec().catch(() => {})
  }

  function ensureLoop(): void {
    if (!connection) {
      connection = redis.duplicate()
      // Failures surface as rejected reads; without a listener ioredis would print each one.
      connection.on('error', () => {})
      wakeId = '0-0'
    }
    if (!looping) {
      looping = true
      void loop(generation, connection)
    } else {
      wakeUp()
    }
  }

  async function loop(mine: number, blocking: Redis): Promise<void> {
    let backoffMs = MIN_BACKOFF_MS
    try {
      while (mine === generation && readers.size > paused.size) {
        const positions = new Map<string, number>()
        for (const reader of readers) {
          if (paused.has(reader)) continue
          const at = positions.get(reader.key)
          if (at === undefined || reader.lastSeq < at) positions.set(reader.key, reader.lastSeq)
        }
        const keys = [...positions.keys()]
        let reply: Array<[string, StreamEntry[]]> | null
        try {
          reply = (await blocking.xread(
            'COUNT',
            READ_COUNT,
            'BLOCK',
            settings.blockMs,
            'STREAMS',
            wakeKey,
            ...keys,
            wakeId,
            ...keys.map((key) => entryId(positions.get(key) as number)),
          )) as Array<[string, StreamEntry[]]> | null
          failing = false
          backoffMs = MIN_BACKOFF_MS
        } catch (cause) {
          if (mine !== generation) return
          if (!failing) {
            failing = true
            report(
              new RelayError(`could not read from Redis (${(cause as Error).message}): retrying`, { cause }),
              'subscribe',
            )
          }
          // Readers still hear that time passes: they may ask the row whether the turn ended.
          wakeQuiet(new Set())
          await clock.sleep(backoffMs).catch(() => {})
          backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2)
          continue
        }
        if (mine !== generation) return
        deliver(reply ?? [])
      }
    } finally {
      if (mine === generation) looping = false
    }
  }

  function deliver(reply: Array<[string, StreamEntry[]]>): void {
    const fed = new Set<HubReader>()
    const byKey = new Map(reply)
    const wake = byKey.get(wakeKey)
    if (wake && wake.length > 0) wakeId = (wake.at(-1) as StreamEntry)[0]
    for (const reader of readers) {
      if (paused.has(reader)) continue
      const entries = byKey.get(reader.key)
      if (!entries) continue
      let took = false
      for (const entry of entries) {
        const seq = seqOfEntry(entry[0])
        if (!(seq > reader.lastSeq)) continue
        reader.lastSeq = seq
        reader.buffer.push(entry)
        took = true
      }
      if (!took) continue
      fed.add(reader)
      if (reader.buffer.length >= HIGH_WATER) paused.add(reader)
    }
    wakeQuiet(fed)
  }

  /** Wake the readers just fed, and as idle those that got nothing for `blockMs`. */
  function wakeQuiet(fed: Set<HubReader>): void {
    const now = clock.now()
    for (const reader of [...readers]) {
      if (fed.has(reader)) {
        quietSince.set(reader, now)
        reader.wake(false)
      } else if (now - (quietSince.get(reader) ?? now) >= settings.blockMs) {
        quietSince.set(reader, now)
        reader.wake(true)
      }
    }
  }

  function closeConnection(): void {
    generation++
    looping = false
    connection?.disconnect()
    connection = undefined
  }

  return {
    add(reader) {
      readers.add(reader)
      quietSince.set(reader, clock.now())
      ensureLoop()
    },
    remove(reader) {
      readers.delete(reader)
      paused.delete(reader)
      quietSince.delete(reader)
      if (readers.size === 0) closeConnection()
    },
    taken(reader) {
      if (!paused.has(reader) || reader.buffer.length > LOW_WATER) return
      paused.delete(reader)
      ensureLoop()
    },
    close: closeConnection,
  }
}
