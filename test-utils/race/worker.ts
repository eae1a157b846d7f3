// Child process of the race harness (see harness.ts). It builds the adapter's ports through the
// module named by RACE_PORTS_MODULE (which reads its own env vars) and runs one scenario:
//   ensure: the Session.ensure pattern per subject: withLock → re-read → if no session, one short
//     POST /session to the loopback counter, store it; a unique clash deletes the minted session.
//   finalize | cancel: the terminal CAS on each message row.
// Each outcome is appended to RACE_LOG as one JSON line.
import { appendFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
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

async function mint(title: string | null): Promise<string> {
  const response = await fetch(`${baseUrl}/session`, { method: 'POST', body: JSON.stringify({ title }) })
  return ((await response.json()) as { id: string }).id
}

try {
  for (const raw of ids) {
    const id = /^\d+$/.test(raw) ? Number(raw) : raw
    if (mode === 'ensure') {
      let minted: string | null = null
      try {
        const sessionId = await ports.records.withLock(id, async (row, locked) => {
          if (row.opencodeSessionId) return row.opencodeSessionId
          minted = await mint(row.title)
          await locked.setSessionId(minted)
          return minted
        })
        write({ kind: 'ensured', worker, id: raw, sessionId, created: minted === sessionId })
      } catch (error) {
        // Never leave an orphan upstream: a session minted but not stored is deleted.
        if (minted) await fetch(`${baseUrl}/session/${minted}`, { method: 'DELETE' })
        write({ kind: 'failed', worker, id: raw, error: String(error) })
      }
    } else if (mode === 'finalize') {
      const won = await ports.messages.finalize(id, { content: `final ${worker}`, cost: 0.01 })
      write({ kind: 'finalize', worker, id: raw, won })
    } else {
      write({ kind: 'cancel', worker, id: raw, won: await ports.messages.cancel(id) })
    }
  }
} finally {
  await ports.close()
}
