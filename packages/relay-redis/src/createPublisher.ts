import type { Clock, TurnEvent } from '@opencode-kit/core'
import type { Redis } from 'ioredis'
import { RelayError } from './RelayError.js'
import type { RelayReport } from './reporter.js'
import { decodeEntry, entryId, isAlreadyWritten, isServerReply, seqOfEntry } from './streamEntry.js'

/** Settings of the publishing side (resolved from `RedisRelayOptions`). */
export interface PublisherSettings {
  redis: Redis
  keyOf: (messageId: string) => string
  maxLength: number
  ttlMs: number
  idleTtlMs: number
  maxQueued: number
  maxQueuedBytes: number
  clock: Clock
  report: RelayReport
}

/** The publishing side of a relay. */
export interface Publisher {
  publish(messageId: string, event: TurnEvent): void
  /** Forget a turn's write state (its events ended without a `finish`). */
  forget(messageId: string): void
  /** Resolves once everything queued so far is written or dropped. */
  flush(): Promise<void>
  /** Stop writing: what is still queued is dropped (and reported). */
  stop(): void
}

interface Queued {
  messageId: string
  key: string
  seq: number
  finish: boolean
  start: boolean
  json: string
}

/** What the publisher remembers of a turn between batches. */
interface TurnState {
  /**
   * Added to every seq of this run. A second run of the same message (a recovered turn starts
   * again at seq 1) continues the log instead of being refused by Redis as out of order.
   * `undefined` until the log's top was looked up (on `start`).
   */
  offset: number | undefined
  /** Events were dropped: only the `finish` still goes out, so the log stays a clean prefix. */
  gapped: boolean
  /** When the log's idle expiry was last pushed back (clock ms). */
  refreshedAt?: number
}

const MAX_BATCH = 512
const MIN_BACKOFF_MS = 50
const MAX_BACKOFF_MS = 2_000
const SLOW_WRITE_MS = 2_000
/** Write states of turns that never finished are forgotten beyond this many. */
const MAX_TURN_STATES = 10_000

/**
 * Fire-and-forget publishing: `publish` serializes the event and queues it (never waiting for
 * Redis); one writer drains the queue in pipelined batches, in order, so a burst costs one round
 * trip per batch. While Redis is unreachable the batch is retried with backoff and the queue grows
 * up to its bounds; past them a turn's further events are dropped (except its `finish`) and the
 * drop is reported. Explicit entry ids make retries idempotent.
 */
export function createPublisher(settings: PublisherSettings): Publisher {
  const { redis, clock, report } = settings
  let queue: Queued[] = []
  let queuedBytes = 0
  const turns = new Map<string, TurnState>()
  let writing = false
  /** Events taken off the queue by the write under way. */
  let inFlight = 0
  let stopped = false
  let failing = false
  let backoffMs = MIN_BACKOFF_MS
  let idle: Array<() => void> = []

  const stateOf = (messageId: string): TurnState => {
    let state = turns.get(messageId)
    if (!state) {
      if (turns.size >= MAX_TURN_STATES) turns.delete(turns.keys().next().value as string)
      state = { offset: 0, gapped: false }
      turns.set(messageId, state)
    }
    return state
  }

  function drop(messageId: string, state: TurnState, error: RelayError, operation: 'overflow' | 'publish') {
    if (!state.gapped) report(error, operation, messageId)
    state.gapped = true
  }

  function publish(messageId: string, event: TurnEvent): void {
    if (stopped) return
    let state = turns.get(messageId)
    if (event.type === 'start') {
      // A new run: look up where the log stands before writing.
      turns.delete(messageId)
      state = stateOf(messageId)
      state.offset = undefined
    } else {
      state ??= stateOf(messageId)
      if (state.gapped && event.type !== 'finish') return
    }
    let json: string
    try {
      json = JSON.stringify(event)
    } catch (cause) {
      drop(
        messageId,
        state,
        new RelayError(`event ${event.seq} is not JSON-serialisable`, { cause }),
        'publish',
      )
      return
    }
    const full = queue.length >= settings.maxQueued || queuedBytes + json.length > settings.maxQueuedBytes
    // A turn's start and finish are kept even when full (two per turn): subscribers still learn the
    // run began, and end with its final content.
    if (full && event.type !== 'finish' && event.type !== 'start') {
      drop(
        messageId,
        state,
        new RelayError(
          `publish queue full (${queue.length} events, ${queuedBytes} bytes): dropping this turn's events until its finish`,
        ),
        'overflow',
      )
      return
    }
    queue.push({
      messageId,
      key: settings.keyOf(messageId),
      seq: event.seq,
      start: event.type === 'start',
      finish: event.type === 'finish',
      json,
    })
    queuedBytes += json.length
    if (!writing) {
      writing = true
      // A microtask later, so a synchronous burst of publishes goes out as one batch.
      queueMicrotask(() => void drain())
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0 && !stopped) {
      const batch = queue.slice(0, MAX_BATCH)
      queue = queue.slice(batch.length)
      inFlight = batch.length
      // A client with an offline queue holds commands while it reconnects, possibly for long:
      // say so after a while instead of staying silent until it gives up.
      const answered = new AbortController()
      clock.sleep(SLOW_WRITE_MS, answered.signal).then(
        () => {
          if (failing) return
          failing = true
          const waiting = queue.length + inFlight
          report(
            new RelayError(`no answer from Redis for ${SLOW_WRITE_MS} ms: ${waiting} events waiting`),
            'publish',
          )
        },
        () => {},
      )
      const retry = await write(batch)
      answered.abort()
      inFlight = 0
      if (stopped) break
      if (retry.length === 0) {
        failing = false
        backoffMs = MIN_BACKOFF_MS
        for (const entry of batch) queuedBytes -= entry.json.length
        continue
      }
      for (const entry of batch) if (!retry.includes(entry)) queuedBytes -= entry.json.length
      queue = retry.concat(queue)
      try {
        await clock.sleep(backoffMs)
      } catch {
        // a clock that rejects a plain sleep: retry at once
      }
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2)
    }
    writing = false
    const waiting = idle
    idle = []
    for (const resolve of waiting) resolve()
  }

  /** Write one batch; returns the entries to try again (Redis unreachable), in order. */
  async function write(batch: Queued[]): Promise<Queued[]> {
    // 1. Where does each new run's log stand? (One round trip, only for batches holding a start.)
    const lookups = [...new Set(batch.filter((e) => e.start && turns.get(e.messageId)?.offset === undefined))]
    const trims = new Map<string, number>()
    if (lookups.length > 0) {
      const pipeline = redis.pipeline()
      for (const entry of lookups) pipeline.xrevrange(entry.key, '+', '-', 'COUNT', 1)
      const results = await execute(pipeline)
      if (!results) return transient(batch)
      for (const [i, entry] of lookups.entries()) {
        const [error, top] = results[i] ?? [new Error('no reply')]
        if (error && !isServerReply(error)) return transient(batch, error)
        const state = stateOf(entry.messageId)
        const last = !error && Array.isArray(top) ? (top[0] as [string, string[]] | undefined) : undefined
        state.offset = last ? seqOfEntry(last[0]) : 0
        // The previous run finished: its events would end a new subscriber at once. Trim them;
        // the stream keeps its last id, so the new run still continues above it.
        if (last && decodeEntry(last[1])?.type === 'finish') trims.set(entry.key, state.offset + 1)
      }
    }

    // 2. The events, then each stream's expiry, in one round trip. MULTI/EXEC, not a bare
    // pipeline: Redis serves the readers blocked on these streams once, after the whole batch, so
    // a web process gets a batch in one read instead of its first event alone and then the rest.
    const pipeline = redis.multi()
    for (const [key, minSeq] of trims) pipeline.xtrim(key, 'MINID', entryId(minSeq))
    const touched = new Map<string, { messageId: string; finished: boolean }>()
    for (const entry of batch) {
      const offset = turns.get(entry.messageId)?.offset ?? 0
      const json = offset === 0 ? entry.json : reseq(entry.json, entry.seq + offset)
      pipeline.xadd(entry.key, 'MAXLEN', '~', settings.maxLength, entryId(entry.seq + offset), 'e', json)
      const finished = (touched.get(entry.key)?.finished ?? false) || entry.finish
      touched.set(entry.key, { messageId: entry.messageId, finished })
    }
    // A running log's expiry is pushed back at most every quarter of idleTtl (not on every write):
    // it expires between ¾ and 1× idleTtl after its latest event. The finish always sets ttl.
    const now = clock.now()
    const expiries = [...touched].filter(([, { messageId, finished }]) => {
      const refreshedAt = turns.get(messageId)?.refreshedAt
      return finished || refreshedAt === undefined || now - refreshedAt >= settings.idleTtlMs / 4
    })
    for (const [key, { finished }] of expiries)
      pipeline.pexpire(key, finished ? settings.ttlMs : settings.idleTtlMs)
    const results = await execute(pipeline)
    if (!results) return transient(batch)

    const retry: Queued[] = []
    let lastTransient: Error | undefined
    const expiryFailed = new Set<string>()
    const expiryResults = results.slice(trims.size + batch.length)
    for (const [i, [key, { messageId }]] of expiries.entries()) {
      const error = expiryResults[i]?.[0]
      if (error && !isServerReply(error)) {
        expiryFailed.add(key)
        lastTransient = error
      } else {
        const state = turns.get(messageId)
        if (state) state.refreshedAt = now
      }
    }
    for (const [i, entry] of batch.entries()) {
      const [error] = results[trims.size + i] ?? [new Error('no reply')]
      if (error && !isAlreadyWritten(error)) {
        if (isServerReply(error)) {
          drop(
            entry.messageId,
            stateOf(entry.messageId),
            new RelayError(`Redis refused event ${entry.seq}: ${error.message}`, { cause: error }),
            'publish',
          )
        } else {
          retry.push(entry)
          lastTransient = error
        }
        continue
      }
      // A finish whose expiry did not go out is written again (a no-op) until the expiry does.
      if (entry.finish && expiryFailed.has(entry.key)) {
        retry.push(entry)
        continue
      }
      if (entry.finish) turns.delete(entry.messageId)
    }
    if (retry.length > 0) return transient(retry, lastTransient)
    return retry
  }

  async function execute(pipeline: ReturnType<Redis['pipeline']> | ReturnType<Redis['multi']>) {
    try {
      return (await pipeline.exec()) as Array<[Error | null, unknown]> | null
    } catch (error) {
      lastExecError = error as Error
      return null
    }
  }
  let lastExecError: Error | undefined

  function transient(entries: Queued[], error: Error | undefined = lastExecError): Queued[] {
    if (!failing) {
      failing = true
      report(
        new RelayError(
          `could not write to Redis (${error?.message ?? 'no reply'}): retrying, ${queue.length + entries.length} events queued`,
          { cause: error },
        ),
        'publish',
      )
    }
    return entries
  }

  return {
    publish,
    forget: (messageId) => void turns.delete(messageId),
    flush: () =>
      !writing && queue.length === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve)),
    stop() {
      if (stopped) return
      stopped = true
      const unwritten = queue.length + inFlight
      if (unwritten > 0) report(new RelayError(`closed with ${unwritten} events not written`), 'publish')
      queue = []
      queuedBytes = 0
      const waiting = idle
      idle = []
      for (const resolve of waiting) resolve()
    },
  }
}

/** The event's JSON with another seq (a continued log); the stored event matches its entry id. */
function reseq(json: string, seq: number): string {
  const event = JSON.parse(json) as TurnEvent
  return JSON.stringify({ ...event, seq })
}
