import { knexAdapter } from '@opencode-kit/adapter-knex'
import { type Client, createOpencodeKit } from '@opencode-kit/core'
import type { StoragePort } from '@opencode-kit/core/adapter'
import { createRedisRelay } from '@opencode-kit/relay-redis'
import { Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Knex } from 'knex'
import { bullConnection, type ChatJob, chatKeys } from './chatSetup.js'

/** Options of {@link createChatWorker}. */
export interface ChatWorkerOptions {
  knex: Knex
  /** The OpenCode server (URL or client). */
  client: string | Client
  storage: StoragePort
  /** For the relay and the stop channel (the worker duplicates it to listen; never closed here). */
  redis: Redis
  /** Where BullMQ connects (`redis://…`). */
  redisUrl: string
  /** Prefix of every Redis name (default `web-chat`). */
  keyPrefix?: string
  /** Turns run at once in this process (default 4). */
  concurrency?: number
  /**
   * How long a permission or question waits for the user before it is rejected as expired
   * (default: the kit's, five minutes). Nobody watching never means a turn that hangs.
   */
  requestTimeoutMs?: number
}

/** A running worker. */
export interface ChatWorker {
  /** Resolves once it takes jobs. */
  ready: Promise<void>
  /** Stop taking jobs, finish the turns in flight, write their last events. */
  close(): Promise<void>
}

/**
 * The worker process: takes turns from the queue, runs each with `kit.startTurn` and publishes its
 * `TurnEvent`s to the relay as they happen, so any web process can stream them to a browser. A stop
 * is the message row's compare-and-set cancel, done by the web process; this worker notices it at
 * its next snapshot write, and at once when the web process announces it on the stop channel.
 */
export function createChatWorker(options: ChatWorkerOptions): ChatWorker {
  const { knex, redis } = options
  const keys = chatKeys(options.keyPrefix)
  const kit = createOpencodeKit({
    client: options.client,
    ...knexAdapter(knex),
    storage: options.storage,
    permissions: 'server-defaults', // the example's scripted agent; a real app starts from denyAll()
    ...(options.requestTimeoutMs === undefined ? {} : { requests: { timeoutMs: options.requestTimeoutMs } }),
  })
  const relay = createRedisRelay({ redis, prefix: keys.relayPrefix })
  const running = new Map<string, AbortController>()

  // Stops announced by a web process: abort the turn now instead of at its next snapshot.
  const listener = redis.duplicate()
  listener.on('message', (_channel: string, messageId: string) => running.get(messageId)?.abort())
  const listening = listener.subscribe(keys.stopChannel)

  const worker = new Worker<ChatJob>(
    keys.queueName,
    async (job) => {
      const { subjectId, messageId, prompt } = job.data
      const message = await kit.messages.load(messageId)
      if (message.status !== 'pending') return { status: message.status, skipped: true } // stopped before it ran
      const stop = new AbortController()
      running.set(String(messageId), stop)
      try {
        const turn = kit.startTurn({ subjectId, messageId, prompt, signal: stop.signal })
        await relay.pipe(messageId, turn.events)
        const result = await turn.result
        await relay.flush()
        return { status: result.status }
      } finally {
        running.delete(String(messageId))
      }
    },
    {
      connection: bullConnection(options.redisUrl),
      prefix: keys.queuePrefix,
      concurrency: options.concurrency ?? 4,
    },
  )
  const ready = Promise.all([worker.waitUntilReady(), listening]).then(() => {})

  return {
    ready,
    close: async () => {
      await worker.close() // waits for the turns in flight
      await relay.close()
      listener.disconnect()
    },
  }
}
