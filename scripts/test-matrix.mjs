#!/usr/bin/env node
// The OpenCode version matrix (`npm run test:matrix`): the live end-to-end suite against the newest
// release of every supported line (e2e/matrix.json), each binary installed into .tools/ from the
// npm registry; then the compatibility table (docs/compatibility.md) is regenerated from the results
// (docs/compatibility.json). `npm test` runs the same suite on the pinned version only.
//
//   npm run test:matrix                          # every line
//   npm run test:matrix -- --lines 1.15,1.17     # some lines
//   npm run test:matrix -- --version 1.19.0      # one release that is not in the matrix (no table update)
//   npm run test:matrix -- --no-table            # do not rewrite docs/compatibility.*
//
// Databases: the turn suite runs on SQLite only here (E2E_DATABASES=sqlite; `npm test` adds
// PostgreSQL); PostgreSQL must still be reachable for nothing else. Exits non-zero when any line fails.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { build, installIfNeeded, repo, run } from './bootstrap.mjs'
import { renderCompatibility, SCENARIOS, scenarioOf } from './compatibility.mjs'
import { matrix, opencodeBinary } from './tools.mjs'

const { values } = parseArgs({
  options: {
    lines: { type: 'string' },
    version: { type: 'string' },
    'no-table': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
})
const say = (message) => process.stdout.write(`\n▶ ${message}\n`)
const started = Date.now()

const lines = values.version
  ? { [values.version.split('.').slice(0, 2).join('.')]: values.version }
  : Object.fromEntries(
      Object.entries(matrix.lines).filter(
        ([line]) => !values.lines || values.lines.split(',').includes(line),
      ),
    )

/** Runs the e2e project against one release; returns {scenario: 'pass' | 'fail'} and the counts. */
function runLine(version, reportDir) {
  opencodeBinary(version, say)
  const report = join(reportDir, `${version}.json`)
  const lineStarted = Date.now()
  const status = run(
    process.execPath,
    [
      join(repo, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--project',
      'e2e',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
    ],
    { env: { ...process.env, OPENCODE_E2E_VERSION: version, E2E_DATABASES: 'sqlite' } },
  )
  const json = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : { testResults: [] }
  const scenarios = {}
  // The v2 transport's scenarios (e2e/test/transportV2*.test.ts; skipped on lines without /api/*).
  const v2Scenarios = {}
  const counts = { passed: 0, failed: 0 }
  for (const file of json.testResults ?? [])
    for (const test of file.assertionResults ?? []) {
      const passed = test.status === 'passed'
      if (test.status === 'passed' || test.status === 'failed') counts[passed ? 'passed' : 'failed']++
      const scenario = scenarioOf(test.title)
      if (!scenario || (test.status !== 'passed' && test.status !== 'failed')) continue
      const into = /transportV2[^/]*\.test\.ts$/.test(file.name ?? '') ? v2Scenarios : scenarios
      into[scenario] = into[scenario] === 'fail' || !passed ? 'fail' : 'pass'
    }
  for (const scenario of SCENARIOS) scenarios[scenario] ??= 'missing'
  const v2 = Object.keys(v2Scenarios).length > 0
  if (v2) for (const scenario of SCENARIOS) v2Scenarios[scenario] ??= 'missing'
  return {
    ok: status === 0,
    scenarios,
    ...(v2 ? { v2Scenarios } : {}),
    ...counts,
    seconds: Math.round((Date.now() - lineStarted) / 1000),
  }
}

installIfNeeded(say)
if (!values['no-build']) {
  say('building packages')
  build()
}
const reportDir = mkdtempSync(join(tmpdir(), 'opencode-matrix-'))
const results = {}
try {
  for (const [line, version] of Object.entries(lines)) {
    say(`OpenCode ${version} (line ${line}): the end-to-end suite`)
    results[version] = { line, ...runLine(version, reportDir) }
  }
} finally {
  rmSync(reportDir, { recursive: true, force: true })
}

// A run of the matrix's lines (all, or --lines) updates their rows; a --version outside it does not.
if (!values.version && !values['no-table']) {
  const file = join(repo, 'docs', 'compatibility.json')
  const previous = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { lines: {} }
  const current = new Set(Object.values(matrix.lines))
  const data = {
    $comment: 'Written by `npm run test:matrix`; docs/compatibility.md is rendered from it.',
    generatedAt: new Date().toISOString().slice(0, 10),
    pinned: matrix.pinned,
    lines: Object.fromEntries(
      [
        ...Object.entries(previous.lines).filter(([version]) => current.has(version) && !results[version]),
        ...Object.entries(results).map(([version, r]) => [
          version,
          { line: r.line, scenarios: r.scenarios, ...(r.v2Scenarios ? { v2Scenarios: r.v2Scenarios } : {}) },
        ]),
      ].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })),
    ),
  }
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`)
  writeFileSync(join(repo, 'docs', 'compatibility.md'), renderCompatibility(data))
  say('wrote docs/compatibility.json and docs/compatibility.md')
}

process.stdout.write('\nOpenCode version matrix\n')
for (const [version, r] of Object.entries(results)) {
  const failed = [
    ...Object.entries(r.scenarios),
    ...Object.entries(r.v2Scenarios ?? {}).map(([s, v]) => [`${s} (v2)`, v]),
  ].filter(([, v]) => v !== 'pass')
  process.stdout.write(
    `  ${r.ok ? '✓' : '✖'} ${version}: ${r.passed} passed, ${r.failed} failed in ${r.seconds}s${failed.length ? ` (${failed.map(([s, v]) => `${s} ${v}`).join(', ')})` : ''}\n`,
  )
}
const ok = Object.values(results).every((r) => r.ok)
const total = (key) => Object.values(results).reduce((sum, r) => sum + r[key], 0)
process.stdout.write(
  `${ok ? 'All lines passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)}s\n`,
)
process.stdout.write(`matrix: ${total('passed')} passed, ${total('failed')} failed\n`)
process.exit(ok ? 0 : 1)
