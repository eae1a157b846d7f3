#!/usr/bin/env node
// `npm run bench`: installs and builds when needed, finds or starts the services, runs every
// benchmark in bench/ (files named *.bench.ts, run with tsx, one process each so their memory
// figures do not mix), stops what it started, and ends with ONE line of JSON holding every figure.
//
// A benchmark prints whatever it likes and ends with one line of JSON: its figures.
// Options: a substring filters the benchmarks by path (`npm run bench -- reply`).
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { build, installIfNeeded, repo } from './bootstrap.mjs'

const filter = process.argv[2]
const say = (message) => process.stderr.write(`\n▶ ${message}\n`)

function findBenchmarks(dir) {
  const found = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...findBenchmarks(path))
    else if (entry.name.endsWith('.bench.ts')) found.push(path)
  }
  return found.sort()
}

const services = (command, extra = []) =>
  execFileSync(process.execPath, [join(repo, 'scripts', 'services.mjs'), command, ...extra], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString()

const stateDir = join(repo, '.services', 'bench')
const figures = {}
let failed = false
try {
  await installIfNeeded(say)
  await build(say)
  const env = Object.fromEntries(
    services('start', ['--state', stateDir])
      .split('\n')
      .filter((line) => line.startsWith('export '))
      .map((line) => {
        const [name, ...value] = line.slice('export '.length).split('=')
        return [name, value.join('=')]
      }),
  )
  const tsx = join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  for (const file of findBenchmarks(join(repo, 'bench')).filter(
    (f) => !filter || relative(repo, f).includes(filter),
  )) {
    say(relative(repo, file))
    const result = spawnSync(process.execPath, ['--expose-gc', tsx, file], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    })
    const out = result.stdout.toString()
    process.stderr.write(out)
    const last = out.trim().split('\n').at(-1) ?? ''
    try {
      Object.assign(figures, JSON.parse(last))
    } catch {
      failed = true
      process.stderr.write(`✖ ${relative(repo, file)} did not end with a JSON line of figures\n`)
    }
    if (result.status !== 0) failed = true
  }
} catch (error) {
  failed = true
  process.stderr.write(`✖ ${error.message}\n`)
} finally {
  services('stop', ['--state', stateDir])
}
process.stdout.write(`${JSON.stringify(figures)}\n`)
process.exit(failed ? 1 : 0)
