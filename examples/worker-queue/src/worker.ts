// A turn worker process: consumes the queue with BullMQ and runs each job as a turn against
// PostgreSQL (knex adapter) and an S3-compatible bucket (storage-s3). Run as many of these as you
// like, on as many machines: the row lock makes session creation race-free, the CAS finalize makes
// every reply end exactly once, and job ids make enqueueing idempotent.
//
//   DATABASE_URL=postgres://… REDIS_URL=redis://… OPENCODE_URL=http://… S3_ENDPOINT=… S3_BUCKET=… \
//     node --import tsx examples/worker-queue/src/worker.ts
import { S3Client } from '@aws-sdk/client-s3'
import { knexAdapter } from '@opencode-kit/adapter-knex'
import { createOpencodeKit } from '@opencode-kit/core'
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
// Configured once per process; each job passes only what changes per turn.
const kit = createOpencodeKit({
  client: env('OPENCODE_URL'),
  ...knexAdapter(knex),
  storage,
  permissions: 'server-defaults', // the test's scripted agent; a real app starts from denyAll()
})

const worker = new Worker<TurnJob>(
  TURN_QUEUE,
  async (job) => {
    const { subjectId, messageId, prompt } = job.data
    // A row that already ended (cancelled before it ran, a retried job) comes back untouched; a
    // retried job whose prompt was already sent attaches to it instead of prompting again.
    // Rejects only when the row could not be written (PersistenceError): the job fails and BullMQ retries it.
    const result = await kit.runTurn({ subjectId, messageId, prompt })
    return { status: result.status, worker: process.pid }
  },
  {
    connection: redisConnection(env('REDIS_URL')),
    prefix: process.env.QUEUE_PREFIX ?? 'bull',
    concurrency: Number(process.env.WORKER_CONCURRENCY ?? 4),
  },
)

// Turns whose worker died (SIGKILL, OOM) and whose job is not retried: every worker sweeps for
// stalled rows; the lease makes concurrent sweeps and live turns safe.
const recovery = setInterval(
  () =>
    void kit
      .recoverTurns({ stalledForMs: Number(process.env.STALLED_FOR_MS ?? 60_000) })
      .catch((error: unknown) => console.warn('recovery failed', error)),
  Number(process.env.RECOVERY_INTERVAL_MS ?? 60_000),
)

const shutdown = async () => {
  clearInterval(recovery)
  await worker.close() // finishes the turns in flight
  await knex.destroy()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
worker.on('ready', () => process.stdout.write('ready\n'))
