// A turn worker process: consumes the queue with BullMQ and runs each job as a `Turn` against
// PostgreSQL (knex adapter) and an S3-compatible bucket (storage-s3). Run as many of these as you
// like, on as many machines: the row lock makes session creation race-free, the CAS finalize makes
// every reply end exactly once, and job ids make enqueueing idempotent.
//
//   DATABASE_URL=postgres://… REDIS_URL=redis://… OPENCODE_URL=http://… S3_ENDPOINT=… S3_BUCKET=… \
//     node --import tsx examples/worker-queue/src/worker.ts
import { S3Client } from '@aws-sdk/client-s3'
import { knexAdapter } from '@opencode-kit/adapter-knex'
import { Client, Session, Turn } from '@opencode-kit/core'
import { s3Storage } from '@opencode-kit/storage-s3'
import { Worker } from 'bullmq'
import knexFactory from 'knex'
import { redisConnection, TURN_QUEUE, type TurnJob } from './turnQueue.js'

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback
  if (!value) throw new Error(`${name} is required`)
  return value
}

const knex = knexFactory({
  client: 'pg',
  connection: env('DATABASE_URL'),
  searchPath: process.env.DATABASE_SCHEMA ? [process.env.DATABASE_SCHEMA] : undefined,
  pool: { min: 0, max: 4 },
})
const { records, messages } = knexAdapter(knex)
const client = new Client({ baseUrl: env('OPENCODE_URL') })
const storage = s3Storage({
  client: new S3Client({
    endpoint: env('S3_ENDPOINT'),
    region: env('S3_REGION', 'us-east-1'),
    forcePathStyle: true,
    credentials: { accessKeyId: env('S3_ACCESS_KEY_ID'), secretAccessKey: env('S3_SECRET_ACCESS_KEY') },
  }),
  bucket: env('S3_BUCKET'),
  prefix: env('S3_PREFIX', 'artifacts/'),
})

const worker = new Worker<TurnJob>(
  TURN_QUEUE,
  async (job) => {
    const { subjectId, messageId, queryText } = job.data
    const message = await messages.load(messageId)
    if (message.status !== 'pending') return { status: message.status, skipped: true } // cancelled before it ran
    const session = new Session({ subject: await records.load(subjectId), records, client })
    const result = await new Turn({
      message: messageId,
      messages,
      session,
      client,
      queryText,
      storage,
    }).call()
    return { status: result.status, worker: process.pid }
  },
  {
    connection: redisConnection(env('REDIS_URL')),
    prefix: process.env.QUEUE_PREFIX ?? 'bull',
    concurrency: Number(process.env.WORKER_CONCURRENCY ?? 4),
  },
)

const shutdown = async () => {
  await worker.close() // finishes the turns in flight
  await knex.destroy()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
worker.on('ready', () => process.stdout.write('ready\n'))
