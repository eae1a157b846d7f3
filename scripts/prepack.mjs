#!/usr/bin/env node
// Every package's `prepack` (so `npm pack` and `npm publish` never ship an empty or stale package):
// builds the package, and what it depends on, through turbo when its dist is missing or older than
// its sources, then copies the repository's LICENSE into it (npm ships a package's LICENSE file
// whatever its `files` say). Runs in the package's directory; `--check` only reports staleness.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

const packageDir = process.cwd()
const repo = resolve(packageDir, '..', '..')
const { name } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))

/** mtimes of every file under `path` (a file or a directory; missing: none). */
function mtimes(path) {
  if (!existsSync(path)) return []
  const stat = statSync(path)
  if (!stat.isDirectory()) return [stat.mtimeMs]
  return readdirSync(path).flatMap((entry) => mtimes(join(path, entry)))
}

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
}
copyFileSync(join(repo, 'LICENSE'), join(packageDir, 'LICENSE'))
