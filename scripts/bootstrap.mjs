// Shared by the README's set-up commands: install dependencies when missing or stale, then build.
// The long first-run steps say what they do, roughly how long they take, and show that they are
// still going (a line every 30 s, or a live timer on a terminal), then how long they took.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: repo, stdio: 'inherit', ...options })
  if (result.error) throw result.error
  return result.status ?? 1
}

export function mustRun(cmd, args, options) {
  const status = run(cmd, args, options)
  if (status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${status}`)
}

/** `1m 05s`, `42s`. */
export function duration(ms) {
  const seconds = Math.round(ms / 1000)
  return seconds < 60
    ? `${seconds}s`
    : `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`
}

/**
 * Run a long, mostly silent step: `say` what it is first, then show it is alive — a live timer on
 * a terminal, a line every 30 s otherwise (logs, CI) — and end with how long it took. Resolves
 * with the exit status and, when `capture` is set, the step's own output (shown only on failure).
 */
export function step(say, what, cmd, args, { capture = false, env } = {}) {
  say(what)
  const started = Date.now()
  const tty = process.stderr.isTTY
  const tick = () => {
    const line = `  … still working (${duration(Date.now() - started)})`
    process.stderr.write(tty ? `\r${line}` : `${line}\n`)
  }
  const timer = setInterval(tick, tty ? 1000 : 30_000)
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: repo,
      env: env ?? process.env,
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.once('error', (error) => {
      clearInterval(timer)
      reject(error)
    })
    child.once('close', (status) => {
      clearInterval(timer)
      if (tty) process.stderr.write('\r\x1b[K')
      const took = duration(Date.now() - started)
      process.stderr.write(status === 0 ? `  ✓ done in ${took}\n` : `  ✖ failed after ${took}\n`)
      resolvePromise({ status: status ?? 1, output })
    })
  })
}

/** `npm ci` unless node_modules is newer than package-lock.json. */
export async function installIfNeeded(say = () => {}) {
  const hidden = join(repo, 'node_modules', '.package-lock.json')
  const lock = join(repo, 'package-lock.json')
  if (existsSync(hidden) && statSync(hidden).mtimeMs >= statSync(lock).mtimeMs) return false
  const first = !existsSync(hidden)
  const { status } = await step(
    say,
    first
      ? 'installing dependencies (npm ci) — first run only, usually 3–10 minutes on a small machine: about a thousand packages, and the SQLite drivers compile from source'
      : 'package-lock.json changed: reinstalling dependencies (npm ci), usually 1–4 minutes',
    'npm',
    ['ci', '--no-audit', '--no-fund'],
  )
  if (status !== 0) throw new Error(`npm ci exited with ${status}`)
  return true
}

/** Whether every package has a dist (turbo's cache makes later builds take seconds). */
function built() {
  return ['core', 'adapter-knex', 'storage-fs'].every((p) => existsSync(join(repo, 'packages', p, 'dist')))
}

/**
 * Build every package (turbo caches unchanged ones). `quiet` shows turbo's logs only for failing
 * tasks; `silent` hides turbo's output unless the build fails.
 */
export async function build(say = () => {}, { quiet = true, silent = false } = {}) {
  const args = [
    join(repo, 'node_modules', 'turbo', 'bin', 'turbo'),
    'run',
    'build',
    `--output-logs=${quiet ? 'errors-only' : 'full'}`,
  ]
  const what = built()
    ? 'building the packages (turbo: cached packages take seconds, changed ones up to a minute each)'
    : 'building the packages for the first time (turbo + tsup, usually 1–3 minutes; cached afterwards)'
  const { status, output } = await step(say, what, process.execPath, args, { capture: silent })
  if (status !== 0) {
    if (silent) process.stderr.write(output)
    throw new Error(`the build failed (exit ${status})`)
  }
}
