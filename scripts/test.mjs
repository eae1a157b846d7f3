#!/usr/bin/env node
// The test command (`npm test`): installs what is missing, builds, finds or starts the databases,
// starts the S3-compatible server, runs every package's suite, then runs the adapter smoke tests
// against privately started PostgreSQL and MariaDB servers (the path a fresh machine takes, so it
// cannot rot) and the runtime passes: core, storage and the adapters on Node 24, the adapters and
// core's runtime-agnostic suites on Node 22, core's on Bun and Deno (binaries from the npm registry
// in .tools/, see scripts/tools.mjs; better-sqlite3 compiled for each Node major's ABI);
// stops everything it started; exits non-zero on any failure.
//
// Options: --skip-private (no private-server pass), --skip-runtimes (no runtime passes; the older
// --skip-node24 means the same), and any further arguments are passed to the main vitest run (e.g.
// `npm test -- --project core`).
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, installIfNeeded, repo } from './bootstrap.mjs'
import { betterSqliteAddon, bunBinary, denoBinary, nodeBinary } from './tools.mjs'

const args = process.argv.slice(2)
const skipPrivate = args.includes('--skip-private')
const skipRuntimes = args.includes('--skip-runtimes') || args.includes('--skip-node24')
const vitestArgs = args.filter((a) => !['--skip-private', '--skip-runtimes', '--skip-node24'].includes(a))

/**
 * Core's suites that need no Node-only part (wire, host with in-memory ports and the stand-in, the
 * event stream, the recorded fixtures of every OpenCode line): what Node 22, Bun and Deno run.
 */
const CORE_PORTABLE = [
  '--project',
  'core',
  'test/wire',
  'test/host',
  'test/standin',
  'test/reliability/sseFaults.test.ts',
  'test/runtime',
  'test/errors.test.ts',
]

/**
 * The adapters' suites on the other Node majors: everything but the multi-process race and lock
 * files (Node 20 runs those; they prove the databases' locking, not the runtime). better-sqlite3 is
 * loaded from a build for that major's ABI (scripts/nativeAddons.cjs).
 */
const ADAPTERS_ON_OTHER_NODES = [
  ...['adapter-knex', 'adapter-sequelize', 'adapter-mikro-orm', 'adapter-drizzle', 'adapter-prisma'].flatMap(
    (p) => ['--project', p],
  ),
  '--exclude',
  '**/races.test.ts',
  '--exclude',
  '**/multiProcessRaces.test.ts',
  '--exclude',
  '**/crossProcessLock.test.ts',
]

/** The environment that makes a Node major load its own better-sqlite3 build. */
const addonEnv = (dir) => ({
  OPENCODE_KIT_ADDONS_DIR: dir,
  // Replaces any NODE_OPTIONS of the caller's: the passes need only this preload.
  NODE_OPTIONS: `--require ${join(repo, 'scripts', 'nativeAddons.cjs')}`,
})

const say = (message) => process.stdout.write(`\n▶ ${message}\n`)
const started = Date.now()
const results = []

const vitest = join(repo, 'node_modules', 'vitest', 'vitest.mjs')

const reportDir = mkdtempSync(join(tmpdir(), 'opencode-kit-test-'))

const countsOf = (name, status, report, seconds) => {
  const counts = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : {}
  return {
    name,
    ok: status === 0,
    passed: counts.numPassedTests ?? 0,
    failed: counts.numFailedTests ?? (status === 0 ? 0 : 1),
    skipped: (counts.numPendingTests ?? 0) + (counts.numTodoTests ?? 0),
    seconds,
  }
}

/** One vitest pass, its output inherited. Async, so work started before it (addon builds) goes on meanwhile. */
async function runSuite(name, nodeBinary, suiteArgs, env) {
  say(name)
  const passStarted = Date.now()
  // The JSON report gives the counts for the closing line; the default reporter is what people read.
  const report = join(reportDir, `${results.length}.json`)
  const status = await new Promise((resolve) => {
    const child = spawn(
      nodeBinary,
      [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...suiteArgs],
      { cwd: repo, stdio: 'inherit', env: { ...process.env, ...env } },
    )
    child.on('error', (error) => {
      process.stderr.write(`${error.message}\n`)
      resolve(1)
    })
    child.on('close', (code) => resolve(code ?? 1))
  })
  results.push(countsOf(name, status, report, Math.round((Date.now() - passStarted) / 1000)))
}

/**
 * Several passes at once (the runtime passes are light on I/O and there are two cores): each one's
 * output is printed when it ends, so the logs do not interleave.
 */
async function runInParallel(passes) {
  say(`in parallel: ${passes.map((p) => p.name).join('; ')}`)
  const outcomes = await Promise.all(
    passes.map(
      ({ name, command, prefix, suiteArgs, env }, index) =>
        new Promise((resolve) => {
          const passStarted = Date.now()
          const report = join(reportDir, `parallel-${results.length}-${index}.json`)
          const child = spawn(
            command,
            [
              ...prefix,
              vitest,
              'run',
              '--reporter=dot',
              '--reporter=json',
              `--outputFile.json=${report}`,
              ...suiteArgs,
            ],
            { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
          )
          let output = ''
          child.stdout.on('data', (chunk) => (output += chunk))
          child.stderr.on('data', (chunk) => (output += chunk))
          const finish = (status) => {
            say(`${name} (${Math.round((Date.now() - passStarted) / 1000)}s)`)
            process.stdout.write(output)
            resolve(countsOf(name, status, report, Math.round((Date.now() - passStarted) / 1000)))
          }
          child.on('error', (error) => {
            output += `${error.message}\n`
            finish(1)
          })
          child.on('close', (status) => finish(status ?? 1))
        }),
    ),
  )
  results.push(...outcomes)
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
  // The other Node majors' better-sqlite3 builds compile while the main pass runs (it waits on
  // servers and child processes much of the time).
  const addons = skipRuntimes
    ? undefined
    : Promise.all([nodeBinary(22, say), nodeBinary(24, say)].map((node) => betterSqliteAddon(node, say)))
  addons?.catch(() => {}) // awaited below; a failure there fails the runtime passes
  await runSuite('all packages (Node 20)', process.execPath, vitestArgs, env)

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
    await runSuite(
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

  if (!skipRuntimes) {
    const [addons22, addons24] = await addons
    await runSuite(
      'core, storage and the adapters on Node 24',
      nodeBinary(24, say),
      ['--project', 'core', '--project', 'storage-fs', '--project', 'storage-s3', ...ADAPTERS_ON_OTHER_NODES],
      {
        ...env,
        ...addonEnv(addons24),
        OPENCODE_KIT_EXPECT_RUNTIME: 'node24',
        // better-sqlite3 12 aborts on Node 24 when a statement is garbage collected (test-utils/services.ts).
        OPENCODE_KIT_TEST_DATABASES: 'postgres,mariadb',
      },
    )
    const node22 = nodeBinary(22, say)
    const bun = bunBinary(say)
    const deno = denoBinary(say)
    await runInParallel([
      ...[
        { name: 'core (portable suites) on Node 22', command: node22, prefix: [], runtime: 'node22' },
        { name: 'core (portable suites) on Bun', command: bun, prefix: ['--bun'], runtime: 'bun' },
        { name: 'core (portable suites) on Deno', command: deno, prefix: ['run', '-A'], runtime: 'deno' },
      ].map((pass) => ({
        ...pass,
        suiteArgs: CORE_PORTABLE,
        env: { ...env, OPENCODE_KIT_EXPECT_RUNTIME: pass.runtime },
      })),
      {
        name: 'the adapters on Node 22',
        command: node22,
        prefix: [],
        suiteArgs: ADAPTERS_ON_OTHER_NODES,
        env: { ...env, ...addonEnv(addons22) },
      },
    ])
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
    `  ${r.ok ? '✓' : '✖'} ${r.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${r.seconds}s)\n`,
  )
}
rmSync(reportDir, { recursive: true, force: true })
const total = (key) => results.reduce((sum, r) => sum + r[key], 0)
process.stdout.write(`${exitCode === 0 ? 'All suites passed' : 'FAILED'} in ${seconds}s\n`)
process.stdout.write(
  `tests: ${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped\n`,
)
process.exit(exitCode)
