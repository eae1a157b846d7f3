// Child process of the race harness (see harness.ts). It builds the adapter's ports through the
// module named by RACE_PORTS_MODULE (which reads its own env vars) and runs one scenario:
//   ensure: the real Session.ensure (from the built @opencode-kit/core) per subject, against the
//     loopback counter standing in for OpenCode's session endpoints.
//   finalize | cancel: the terminal CAS on each message row.
//   turn: a real Turn per message (RACE_SUBJECT owns them) against the loopback stand-in, while
//     cancel workers race it; only the messages with index % RACE_TURN_WORKERS == this worker's share.
// Each outcome is appended to RACE_LOG as one JSON line.
import { appendFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { Client, runTurn, Session } from '@opencode-kit/core'
import type { RaceOutcome, RacePortsModule } from './types.js'

const env = process.env
const mode = env.RACE_MODE ?? 'ensure'
const ids = (env.RACE_IDS ?? '').split(',').filter(Boolean)
const worker = Number(env.RACE_WORKER ?? 0)
const log = env.RACE_LOG ?? ''
const baseUrl = env.RACE_BASE_URL ?? ''
const write = (outcome: RaceOutcome) => appendFileSync(log, `${JSON.stringify(outcome)}\n`)

const mod = (await import(pathToFileURL(env.RACE_PORTS_MODULE ?? '').href)) as RacePortsModule
const ports = await mod.buildPorts(env)

// finalize/cancel workers talk to no server (an empty base URL is rejected by the Client).
const client = new Client({ baseUrl: baseUrl || 'http://127.0.0.1:9' })

try {
  for (const raw of ids) {
    const id = /^\d+$/.test(raw) ? Number(raw) : raw
    if (mode === 'ensure') {
      try {
        const session = new Session({
          subject: await ports.records.load(id),
          records: ports.records,
          client,
          permissions: 'server-defaults',
        })
        const ensured = await session.ensure()
        write({ kind: 'ensured', worker, id: raw, sessionId: ensured.id, created: ensured.created })
      } catch (error) {
        write({ kind: 'failed', worker, id: raw, error: String(error) })
      }
    } else if (mode === 'turn') {
      const share = Number(env.RACE_TURN_WORKERS ?? 1)
      if (ids.indexOf(raw) % share !== worker / 2) continue
      const subjectId = /^\d+$/.test(env.RACE_SUBJECT ?? '')
        ? Number(env.RACE_SUBJECT)
        : String(env.RACE_SUBJECT)
      try {
        const session = new Session({
          subject: await ports.records.load(subjectId),
          records: ports.records,
          client,
          permissions: 'server-defaults',
        })
        const result = await runTurn({
          messageId: id,
          messages: ports.messages,
          session,
          client,
          prompt: `race ${raw}`,
        })
        write({
          kind: 'turn',
          worker,
          id: raw,
          status: result.status,
          error: 'error' in result ? String(result.error) : undefined,
        })
      } catch (error) {
        write({ kind: 'failed', worker, id: raw, error: String(error) })
      }
    } else if (mode === 'finalize') {
      const won = await ports.messages.finalize(id, { content: `final ${worker}`, cost: 0.01 })
      write({ kind: 'finalize', worker, id: raw, won })
    } else {
      // A cancel lands at a random point of the turn (or before or after it).
      await new Promise((resolve) =>
        setTimeout(resolve, Math.random() * Number(env.RACE_CANCEL_JITTER_MS ?? 0)),
      )
      write({ kind: 'cancel', worker, id: raw, won: await ports.messages.cancel(id) })
    }
  }
} finally {
  await ports.close()
}
