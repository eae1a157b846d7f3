// Shared by the README's set-up commands: install dependencies when missing or stale, then build.
import { spawnSync } from 'node:child_process'
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

/** `npm ci` unless node_modules is newer than package-lock.json. */
export function installIfNeeded(say = () => {}) {
  const hidden = join(repo, 'node_modules', '.package-lock.json')
  const lock = join(repo, 'package-lock.json')
  if (existsSync(hidden) && statSync(hidden).mtimeMs >= statSync(lock).mtimeMs) return false
  say('installing dependencies (npm ci)')
  mustRun('npm', ['ci', '--no-audit', '--no-fund'], { stdio: ['ignore', 'inherit', 'inherit'] })
  return true
}

/** Build every package (turbo caches unchanged ones). `silent` prints turbo's output only on failure. */
export function build(quiet = true, silent = false) {
  const args = [
    join(repo, 'node_modules', 'turbo', 'bin', 'turbo'),
    'run',
    'build',
    `--output-logs=${quiet ? 'errors-only' : 'full'}`,
  ]
  if (!silent) return mustRun(process.execPath, args)
  const result = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8' })
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`)
    throw new Error(`the build failed (exit ${result.status})`)
  }
}
