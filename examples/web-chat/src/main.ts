// Run the whole chat on one machine: `node --import tsx examples/web-chat/src/main.ts` (after
// `npm run build`), then open the printed URL. Migrates the database, starts the OpenCode stand-in
// unless OPENCODE_URL is set, then one worker process and one web process, as production would run
// them (each can be started on its own: src/worker.ts, src/web.ts).
//   DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL (default local)
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { scenario, startOpencodeStandIn } from '@opencode-kit/core/testing'
import { migrateChat, openChatDatabase } from './chatSetup.js'

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const artifactsDir = process.env.ARTIFACTS_DIR ?? '.web-chat/artifacts'
mkdirSync(artifactsDir, { recursive: true })
const knex = openChatDatabase(databaseUrl, process.env.DATABASE_SCHEMA)
await migrateChat(knex)
await knex.destroy()

const standIn = process.env.OPENCODE_URL
  ? undefined
  : await startOpencodeStandIn({
      pace: () => new Promise((resolve) => setTimeout(resolve, 25)), // a model that takes its time
      respond: ({ text }) =>
        scenario()
          .reasoning('Let me think about that.')
          .write('answer.md', `# ${text}\n\nA file the agent wrote for you.\n`)
          .text(`Here is my answer to "${text}". I also wrote answer.md — download it below.`)
          .cost(0.0004, { input: 900, output: 60 }),
    })

const env = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  ARTIFACTS_DIR: artifactsDir,
  OPENCODE_URL: process.env.OPENCODE_URL ?? standIn?.url,
}
const start = (script: string): ChildProcess =>
  spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))], {
    env,
    stdio: 'inherit',
  })
const children = [start('./worker.ts'), start('./web.ts')]
process.stdout.write(`OpenCode: ${env.OPENCODE_URL}${standIn ? ' (stand-in)' : ''}\n`)

const stop = async () => {
  await Promise.all(
    children.map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'))),
  )
  await standIn?.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
