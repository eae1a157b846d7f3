#!/usr/bin/env node
// The first thing to run when OpenCode releases (`npm run opencode:watch -- <version>`, or with no
// version: the newest `opencode-linux-x64` on the npm registry). It installs the release into
// .tools/, records its fixtures into packages/core/test/fixtures/opencode-<version>/, runs the live
// end-to-end suite on it, and prints how its recordings differ from the previous recorded release:
// routes added and removed, event types, and the fields of every event, message and part.
//
// It changes nothing else: to adopt the release, put it in e2e/matrix.json (and
// SUPPORTED_OPENCODE_VERSIONS), run `npm run test:matrix`, and handle each difference in the wire
// layer with a test (CONTRIBUTING.md, "OpenCode versions and recorded fixtures").
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { repo, run } from './bootstrap.mjs'
import { matrix, opencodeBinary } from './tools.mjs'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    against: { type: 'string' },
    'no-record': { type: 'boolean', default: false },
    'no-suite': { type: 'boolean', default: false },
  },
})
const say = (message) => process.stdout.write(`\n▶ ${message}\n`)
const fixtures = join(repo, 'packages', 'core', 'test', 'fixtures')
const numeric = (a, b) => a.localeCompare(b, 'en', { numeric: true })

const version =
  positionals[0] ??
  execFileSync('npm', ['view', 'opencode-linux-x64', 'version'], { encoding: 'utf8' }).trim()
const recorded = readdirSync(fixtures)
  .filter((name) => /^opencode-\d+\.\d+\.\d+$/.test(name))
  .map((name) => name.slice('opencode-'.length))
  .sort(numeric)
const previous = values.against ?? recorded.filter((v) => numeric(v, version) < 0).at(-1) ?? matrix.pinned
say(`OpenCode ${version}, compared with ${previous}`)

opencodeBinary(version, say)
let failures = 0
if (!values['no-record']) {
  say(`recording fixtures into packages/core/test/fixtures/opencode-${version}/`)
  failures += run(process.execPath, [
    join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
    join(repo, 'e2e', 'scripts', 'record-fixtures.ts'),
    '--version',
    version,
  ])
}
if (!values['no-suite']) {
  say('the live end-to-end suite on it')
  failures += run(process.execPath, [
    join(repo, 'scripts', 'test-matrix.mjs'),
    '--version',
    version,
    '--no-build',
  ])
}

// ── differences between the two recordings ────────────────────────────────────────────────────

const dir = (v) => join(fixtures, `opencode-${v}`)
const load = (v, file) => JSON.parse(readFileSync(join(dir(v), file), 'utf8'))
const eventOf = (frame) => frame.payload ?? frame

/** `type → set of field paths` over every event, message and part of a recording. */
function shapes(v) {
  const out = new Map()
  const add = (key, value, prefix = '') => {
    if (!out.has(key)) out.set(key, new Set())
    const walk = (node, path) => {
      if (Array.isArray(node)) for (const item of node) walk(item, `${path}[]`)
      else if (node && typeof node === 'object')
        for (const [k, child] of Object.entries(node)) {
          out.get(key).add(`${path}.${k}`)
          walk(child, `${path}.${k}`)
        }
    }
    walk(value, prefix)
  }
  for (const file of readdirSync(dir(v)).filter((f) => f.endsWith('.json') && f !== 'server.json')) {
    const fixture = load(v, file)
    for (const frame of fixture.events) {
      const event = eventOf(frame)
      if (!event.type.startsWith('server.')) add(`event ${event.type}`, event.properties)
    }
    for (const message of fixture.messages ?? []) {
      add(`message ${message.info.role}`, message.info)
      for (const part of message.parts) add(`part ${part.type}`, part)
    }
  }
  return out
}

/**
 * Event types in order per scenario, without the bookkeeping whose interleaving varies from run to
 * run (session.updated/diff/status, heartbeats, the user message's echoes), runs collapsed.
 */
const BOOKKEEPING = new Set([
  'session.updated',
  'session.diff',
  'session.status',
  'server.heartbeat',
  'message.updated',
])
const sequence = (v, file) => {
  const types = load(v, file)
    .events.map((frame) => eventOf(frame).type)
    .filter((type) => !BOOKKEEPING.has(type))
  return types.filter((type, i) => type !== types[i - 1]).join(' → ')
}

let differences = 0
const report = (line) => {
  differences++
  process.stdout.write(`  ${line}\n`)
}
if (existsSync(dir(version)) && existsSync(dir(previous))) {
  say(`differences ${previous} → ${version}`)
  const [a, b] = [load(previous, 'server.json'), load(version, 'server.json')]
  for (const route of b.routes.filter((r) => !a.routes.includes(r))) report(`route added: ${route}`)
  for (const route of a.routes.filter((r) => !b.routes.includes(r))) report(`route removed: ${route}`)
  if (a.eventPath !== b.eventPath) report(`event stream: ${a.eventPath} → ${b.eventPath}`)
  const [old, now] = [shapes(previous), shapes(version)]
  for (const key of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    if (!old.has(key)) report(`new ${key}`)
    else if (!now.has(key)) report(`gone ${key}`)
    else {
      const added = [...now.get(key)].filter((p) => !old.get(key).has(p))
      const removed = [...old.get(key)].filter((p) => !now.get(key).has(p))
      if (added.length) report(`${key}: new fields ${added.join(', ')}`)
      if (removed.length) report(`${key}: fields gone ${removed.join(', ')}`)
    }
  }
  for (const file of readdirSync(dir(version)).filter((f) => f.endsWith('.json') && f !== 'server.json')) {
    if (!existsSync(join(dir(previous), file))) continue
    const [before, after] = [sequence(previous, file), sequence(version, file)]
    if (before !== after) report(`${file.replace('.json', '')} sequence:\n      ${before}\n    → ${after}`)
  }
  if (differences === 0) process.stdout.write('  none: the same routes, events, fields and sequences\n')
}
process.stdout.write(
  `\n${failures === 0 ? '✓' : '✖'} opencode ${version}: ${failures === 0 ? 'recorded and passed' : 'FAILED'}; ${differences} difference(s) from ${previous}\n`,
)
process.exit(failures === 0 ? 0 : 1)
