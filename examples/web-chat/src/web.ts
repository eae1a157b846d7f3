// The web process: `node --import tsx examples/web-chat/src/web.ts` (start as many as you like).
//   DATABASE_URL=postgres://… REDIS_URL=redis://… OPENCODE_URL=http://… PORT=3000 ARTIFACTS_DIR=… [DATABASE_SCHEMA=… KEY_PREFIX=…]
// Run the migrations first (src/main.ts does, or call migrateChat from your deploy step).
import { fsStorage } from '@opencode-kit/storage-fs'
import { createWebChat } from './createWebChat.js'
import { closeOnSignal, connect, env } from './processEnv.js'

const { knex, redis, redisUrl, keyPrefix, artifactsDir } = connect('web')
const web = await createWebChat({
  knex,
  redis,
  redisUrl,
  keyPrefix,
  opencode: env('OPENCODE_URL'), // answers to the agent's permission requests and questions
  storage: fsStorage({ root: artifactsDir }), // shared with the workers: a bucket in production
  port: Number(process.env.PORT ?? 3000),
})
closeOnSignal(async () => {
  await web.close()
  await knex.destroy()
  redis.disconnect()
})
process.stdout.write(`ready ${web.url}\n`)
