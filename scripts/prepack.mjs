#!/usr/bin/env node
// Every package's `prepack` (so `npm pack` and `npm publish` never ship an empty or stale package):
// builds the package, and what it depends on, through turbo when its dist is missing or older than
// its sources, then copies the repository's LICENSE into it (npm ships a package's LICENSE file
// whatever its `files` say). Runs in the package's directory; `--check` only reports staleness.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs'
import { join, resolve } from 'node:path'

const packageDir = process.cwd()
const repo = resolve(packageDir, '..', '..')
const { name } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))

/** Every file under `path` (a file or a directory; missing: none). */
function files(path) {
  if (!existsSync(path)) return []
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path).flatMap((entry) => files(join(path, entry)))
}
const mtimes = (path) => files(path).map((file) => statSync(file).mtimeMs)

/** What the build reads (turbo.json's build inputs, plus the shared compiler options). */
const inputs = ['src', 'tsup.config.ts', 'tsconfig.json', join('..', '..', 'tsconfig.base.json')].flatMap(
  (path) => mtimes(join(packageDir, path)),
)
const outputs = mtimes(join(packageDir, 'dist'))
const stale = outputs.length === 0 || Math.max(...inputs) > Math.min(...outputs)

if (process.argv.includes('--check')) {
  process.stdout.write(`${name}: ${stale ? 'stale' : 'up to date'}\n`)
  process.exit(stale ? 1 : 0)
}

if (stale) {
  process.stderr.write(
    `prepack ${name}: dist is ${outputs.length === 0 ? 'missing' : 'older than src'}, building\n`,
  )
  const turbo = join(repo, 'node_modules', 'turbo', 'bin', 'turbo')
  if (!existsSync(turbo)) {
    process.stderr.write(`prepack ${name}: cannot build: run \`npm ci\` at the repository root first\n`)
    process.exit(1)
  }
  const built = spawnSync(
    process.execPath,
    [turbo, 'run', 'build', `--filter=${name}`, '--output-logs=errors-only'],
    { cwd: repo, stdio: 'inherit' },
  )
  if (built.status !== 0) process.exit(built.status ?? 1)
  // turbo may have restored dist from its cache with the old mtimes: it matches the sources (turbo
  // hashed them), so date it now for the next check.
  const now = new Date()
  for (const file of files(join(packageDir, 'dist'))) utimesSync(file, now, now)
}
copyFileSync(join(repo, 'LICENSE'), join(packageDir, 'LICENSE'))
