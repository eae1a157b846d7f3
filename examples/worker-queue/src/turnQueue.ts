import { Queue } from 'bullmq'
import type { Knex } from 'knex'

/** The queue's name. */
export const TURN_QUEUE = 'opencode-turns'

/** One job: run the turn that fills `messageId`. */
export interface TurnJob {
  subjectId: string | number
  messageId: string | number
  prompt: string
}

/** BullMQ connection options from a `redis://` URL. */
export const redisConnection = (url: string) => {
  const parsed = new URL(url)
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    password: parsed.password || undefined,
    maxRetriesPerRequest: null,
  }
}

/**
 * The web side: create the pending assistant message and enqueue the turn. The job id is the
 * message id, so enqueueing twice never runs the same reply twice.
 *
 * @example
 * ```ts
 * const queue = new Queue(TURN_QUEUE, { connection: redisConnection(process.env.REDIS_URL!) })
 * const messageId = await enqueueTurn(knex, queue, { subjectId: conversation.id, prompt: 'Plan my trip' })
 * ```
 */
export async function enqueueTurn(
  knex: Knex,
  queue: Queue<TurnJob>,
  input: { subjectId: string | number; prompt: string },
): Promise<string | number> {
  const [row] = await knex('opencode_messages').insert({ subject_id: input.subjectId }).returning('id')
  const messageId = typeof row === 'object' ? (row as { id: string | number }).id : (row as string | number)
  await queue.add('turn', { ...input, messageId }, { jobId: `message-${messageId}`, removeOnComplete: 1000 })
  return messageId
}

export { Queue }
