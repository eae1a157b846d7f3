// A worker process for the kill drills (issue 17): runs one turn through the kit (adapter-knex on
// PostgreSQL) and, with DRILL_HANG, stops at a point — prints `at:<point>` and waits there for the
// SIGKILL the test sends. Without it, prints `done:<status>` when the turn ends.
// Run with `node --import tsx e2e/support/drillWorker.ts` (imports the built packages).
import { knexAdapter } from '@opencode-kit/adapter-knex'
import { Client, createOpencodeKit } from '@opencode-kit/core'
import type { MessagePort } from '@opencode-kit/core/adapter'
import type { PromptInput } from '@opencode-kit/core/wire'
import knexFactory from 'knex'

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`drillWorker: ${name} is not set`)
  return value
}
const hang = process.env.DRILL_HANG ?? 'none'
const say = (line: string) => process.stdout.write(`${line}\n`)
const forever = () => new Promise<never>(() => {})
const stop = async (point: string) => {
  if (hang !== point) return
  say(`at:${point}`)
  await forever()
}

let waitingForFinalText = false
class DrillClient extends Client {
  override async prompt(sessionId: string, input: PromptInput): Promise<void> {
    await super.prompt(sessionId, input)
    await stop('after-prompt')
  }
  override async getMessages(sessionId: string, options?: { signal?: AbortSignal }) {
    if (waitingForFinalText) await stop('final-wait')
    return super.getMessages(sessionId, options)
  }
}

const knex = knexFactory({ client: 'pg', connection: env('DRILL_PG'), searchPath: [env('DRILL_SCHEMA')] })
const { records, messages: store } = knexAdapter(knex)
const messages: MessagePort = Object.create(store)
messages.claimPrompt = async (id, claim) => {
  const claimed = await store.claimPrompt(id, claim)
  await stop('before-prompt')
  return claimed
}
messages.snapshot = async (id, fields) => {
  const written = await store.snapshot(id, fields)
  if (fields.content) {
    say('streaming')
    await stop('mid-stream')
  }
  return written
}
messages.finalize = async (id, fields) => {
  await stop('terminal-write')
  return store.finalize(id, fields)
}

const kit = createOpencodeKit({
  client: new DrillClient({ baseUrl: env('DRILL_URL'), api: 'v1' }),
  records,
  messages,
  permissions: 'server-defaults',
  onError: () => {},
  onTrace: (name) => {
    if (name === 'response.waiting_for_final_text') waitingForFinalText = true
  },
  tuning: {
    snapshotIntervalMs: 0,
    emptyStreamRetryDelayMs: 100,
    finalExchangeRetryDelayMs: 100,
    finalExchangeTimeoutMs: Number(process.env.DRILL_FINAL_WAIT_MS ?? 3000),
  },
  stream: { firstEventMs: 3000 }, // an attached session that stays silent: on to the final poll
})
try {
  const result = await kit.runTurn({
    subjectId: env('DRILL_SUBJECT'),
    messageId: env('DRILL_MESSAGE'),
    prompt: env('DRILL_PROMPT'),
  })
  say(`done:${result.status}`)
} catch (error) {
  say(`rejected:${error instanceof Error ? error.name : String(error)}`)
} finally {
  await knex.destroy()
}
