// The reusable multi-process race harness. An adapter supplies a ports module (see types.ts) and
// the env vars it needs; the harness spawns N child processes (`node --import tsx worker.ts`) that
// race on the same rows of a real database and one loopback session counter, and returns every
// outcome for the test to assert. Workers import '@opencode-kit/*' through the built dist: run
// `npm run build` before running race tests locally.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type StandInStats, startOpencodeStandIn } from '../../packages/core/src/testing/index.js'
import { type SessionStats, startSessionCounter } from './sessionCounter.js'
import type { RaceOutcome } from './types.js'

export type { RaceOutcome, RacePortsModule } from './types.js'

const run = promisify(execFile)
const worker = fileURLToPath(new URL('./worker.ts', import.meta.url))
const root = fileURLToPath(new URL('../..', import.meta.url))

/** Options common to both scenarios. */
export interface RaceOptions {
  /** Absolute path of the adapter's ports module (exports `buildPorts(env)`). */
  portsModule: string
  /** Extra env vars for the ports module (connection spec and the like). */
  env: Record<string, string>
  /** Worker processes (default 16). */
  processes?: number
  /** Per-process timeout in ms (default 150 000). */
  timeoutMs?: number
}

async function spawnAll(
  options: RaceOptions,
  mode: (index: number) => string,
  ids: ReadonlyArray<string | number>,
  extra: Record<string, string>,
): Promise<RaceOutcome[]> {
  const dir = mkdtempSync(join(tmpdir(), 'race-'))
  const log = join(dir, 'outcomes.jsonl')
  try {
    const processes = options.processes ?? 16
    await Promise.all(
      Array.from({ length: processes }, (_, index) =>
        run(process.execPath, ['--import', 'tsx', worker], {
          cwd: root,
          timeout: options.timeoutMs ?? 150_000,
          env: {
            ...process.env,
            ...options.env,
            ...extra,
            RACE_PORTS_MODULE: options.portsModule,
            RACE_MODE: mode(index),
            RACE_IDS: ids.join(','),
            RACE_LOG: log,
            RACE_WORKER: String(index),
          },
        }),
      ),
    )
    return readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RaceOutcome)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Result of {@link raceEnsure}. */
export interface EnsureRaceResult {
  outcomes: RaceOutcome[]
  /** The loopback counter's final counts (created/deleted upstream sessions). */
  stats: SessionStats
}

/** Every process ensures a session for every subject in `subjectIds`, in the same order. */
export async function raceEnsure(
  options: RaceOptions,
  subjectIds: ReadonlyArray<string | number>,
): Promise<EnsureRaceResult> {
  const counter = await startSessionCounter()
  try {
    const outcomes = await spawnAll(options, () => 'ensure', subjectIds, { RACE_BASE_URL: counter.url })
    return { outcomes, stats: counter.stats }
  } finally {
    await counter.close()
  }
}

/**
 * A real `Turn` (in the even-numbered processes, each message in exactly one of them) against the
 * OpenCode stand-in on loopback, racing `messages.cancel` on the same rows from the odd-numbered
 * processes at random moments. All messages belong to `subjectId`, so the turns also race
 * `Session.ensure`. Returns every outcome and the stand-in's counts.
 */
export async function raceTurnCancel(
  options: RaceOptions,
  subjectId: string | number,
  messageIds: ReadonlyArray<string | number>,
  cancelJitterMs = 300,
): Promise<{ outcomes: RaceOutcome[]; stats: StandInStats }> {
  const running = await startOpencodeStandIn({ heartbeatMs: 0 })
  try {
    const processes = options.processes ?? 16
    const outcomes = await spawnAll(options, (index) => (index % 2 === 0 ? 'turn' : 'cancel'), messageIds, {
      RACE_BASE_URL: running.url,
      RACE_SUBJECT: String(subjectId),
      RACE_TURN_WORKERS: String(Math.ceil(processes / 2)),
      RACE_CANCEL_JITTER_MS: String(cancelJitterMs),
    })
    return { outcomes, stats: { ...running.stats } }
  } finally {
    await running.close()
  }
}

/** Even-numbered processes finalize, odd-numbered ones cancel, every message row in `messageIds`. */
export function raceFinalizeCancel(
  options: RaceOptions,
  messageIds: ReadonlyArray<string | number>,
): Promise<RaceOutcome[]> {
  return spawnAll(options, (index) => (index % 2 === 0 ? 'finalize' : 'cancel'), messageIds, {})
}
