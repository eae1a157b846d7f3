// What the web process and the worker share: the database, the Redis key names, the job.
import { opencodeMigrations } from '@opencode-kit/adapter-knex'
import knexFactory, { type Knex } from 'knex'

/** One job on the queue: run the turn that fills `messageId`. */
export interface ChatJob {
  subjectId: string | number
  messageId: string | number
  prompt: string
}

/**
 * Redis names of one deployment, all under one prefix (so two apps, or two test runs, can share
 * a Redis): the BullMQ queue, the relay's streams, the channel the web process announces stops on.
 */
export const chatKeys = (prefix = 'web-chat') => ({
  queueName: 'turns',
  queuePrefix: `${prefix}:bull`,
  relayPrefix: `${prefix}:turn:`,
  stopChannel: `${prefix}:stop`,
})

/** BullMQ connection options from a `redis://` URL (BullMQ's workers need `maxRetriesPerRequest: null`). */
export const bullConnection = (url: string) => {
  const parsed = new URL(url)
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    password: parsed.password || undefined,
    maxRetriesPerRequest: null,
  }
}

/** The app's PostgreSQL database (optionally one schema of it). */
export const openChatDatabase = (url: string, schema?: string): Knex =>
  knexFactory({
    client: 'pg',
    connection: url,
    searchPath: schema ? [schema] : undefined,
    pool: { min: 0, max: 4 },
  })

/**
 * The deploy step, run once before the processes start (never by each of them: two web processes
 * migrating at once would fight over knex's lock): opencode-kit's tables and the app's own table
 * of user prompts.
 */
export async function migrateChat(knex: Knex): Promise<void> {
  await knex.migrate.latest({ migrationSource: opencodeMigrations(), tableName: 'opencode_kit_migrations' })
  if (!(await knex.schema.hasTable('chat_prompts'))) {
    await knex.schema.createTable('chat_prompts', (t) => {
      t.bigInteger('message_id').primary() // the assistant message that answers it
      t.bigInteger('subject_id').notNullable().index()
      t.text('text').notNullable()
    })
  }
}
