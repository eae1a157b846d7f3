// A turn worker process: `node --import tsx examples/web-chat/src/worker.ts` (start as many as you like).
//   DATABASE_URL=postgres://… REDIS_URL=redis://… OPENCODE_URL=http://… ARTIFACTS_DIR=… [DATABASE_SCHEMA=… KEY_PREFIX=… REQUEST_TIMEOUT_MS=…]
import { fsStorage } from '@opencode-kit/storage-fs'
import { createChatWorker } from './createChatWorker.js'
import { closeOnSignal, connect, env } from './processEnv.js'

const { knex, redis, redisUrl, keyPrefix, artifactsDir } = connect('worker')
const worker = createChatWorker({
  knex,
  redis,
  redisUrl,
  keyPrefix,
  client: env('OPENCODE_URL'),
  storage: fsStorage({ root: artifactsDir }),
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 4),
  requestTimeoutMs: process.env.REQUEST_TIMEOUT_MS ? Number(process.env.REQUEST_TIMEOUT_MS) : undefined,
})
closeOnSignal(async () => {
  await worker.close()
  await knex.destroy()
  redis.disconnect()
})
await worker.ready
process.stdout.write('ready\n')
