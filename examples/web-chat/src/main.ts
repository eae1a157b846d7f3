// Run the web chat: `node --import tsx examples/web-chat/src/main.ts` (after `npm run build`), then
// open the printed URL. OpenCode is the built-in stand-in unless OPENCODE_URL is set; replies are
// stored in a SQLite file, attachments under ./.web-chat/artifacts.
import { mkdirSync } from 'node:fs'
import { Client } from '@opencode-kit/core'
import { scenario, startOpencodeStandIn } from '@opencode-kit/core/testing'
import { fsStorage } from '@opencode-kit/storage-fs'
import knexFactory from 'knex'
import { createWebChat } from './createWebChat.js'

const dir = process.env.WEB_CHAT_DIR ?? '.web-chat'
mkdirSync(dir, { recursive: true })
const standIn = process.env.OPENCODE_URL
  ? undefined
  : await startOpencodeStandIn({
      pace: () => new Promise((resolve) => setTimeout(resolve, 25)),
      respond: ({ text }) =>
        scenario()
          .reasoning('Let me think about that.')
          .write('answer.md', `# ${text}\n\nA file the agent wrote for you.\n`)
          .text(`Here is my answer to "${text}". I also wrote answer.md — download it below.`)
          .cost(0.0004, { input: 900, output: 60 }),
    })
const knex = knexFactory({
  client: 'better-sqlite3',
  connection: { filename: `${dir}/chat.db` },
  useNullAsDefault: true,
})
const chat = await createWebChat({
  knex,
  client: new Client({ baseUrl: process.env.OPENCODE_URL ?? standIn?.url }),
  storage: fsStorage({ root: `${dir}/artifacts` }),
  port: Number(process.env.PORT ?? 3000),
})
process.stdout.write(
  `web chat on ${chat.url} (OpenCode: ${process.env.OPENCODE_URL ?? `stand-in at ${standIn?.url}`})\n`,
)
const stop = async () => {
  await chat.close()
  await knex.destroy()
  await standIn?.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
