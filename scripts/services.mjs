#!/usr/bin/env node
// Finds or starts the services the test suites need, and stops what it started.
//
//   node scripts/services.mjs start [--state DIR] [--private postgres,mariadb,redis] [--no-s3]
//                                   [--no-redis] [--no-browser]
//   node scripts/services.mjs stop  [--state DIR]
//   node scripts/services.mjs env   [--state DIR]     (prints `export NAME=value` lines)
//
// PostgreSQL and MariaDB: the server named by DATABASE_URL / MYSQL_URL, else the one at the
// default address (127.0.0.1:5432, 127.0.0.1:3306) when it answers, else a private server started
// here: binaries from the machine or from apt, data in a temp dir, a free loopback port, run as an
// unprivileged user (PostgreSQL refuses root). `--private` forces the private path, so CI exercises
// what a fresh machine would run. Redis (REDIS_URL or 127.0.0.1:6379, else private) backs the
// job-queue example and the relay (whose suite also starts its own redis-server: REDIS_SERVER names
// the binary); Debian's Chromium is installed for the browser test when missing. The
// S3-compatible server (s3rver) is always started privately.
// What was started is recorded in DIR/state.json; `stop` stops exactly that and removes its data.
import { execFileSync, spawn } from 'node:child_process'
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(repo, 'package.json'))
const SERVICE_USER = 'opencodekit'
const BUCKET = 'opencode-kit-test'
const isRoot = process.getuid?.() === 0

const log = (message) => process.stderr.write(`[services] ${message}\n`)

function parseArgs(argv) {
  const args = {
    command: argv[0],
    state: join(repo, '.services'),
    private: new Set(),
    s3: true,
    redis: true,
    browser: true,
  }
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--state') args.state = resolve(argv[++i])
    else if (argv[i] === '--private') for (const name of argv[++i].split(',')) args.private.add(name)
    else if (argv[i] === '--no-s3') args.s3 = false
    else if (argv[i] === '--no-redis') args.redis = false
    else if (argv[i] === '--no-browser') args.browser = false
    else throw new Error(`unknown option ${argv[i]}`)
  }
  return args
}

const run = (cmd, args, options = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options }).toString()

/** Run a command as the unprivileged service user when we are root. */
const runAsUser = (cmd, args, options) =>
  isRoot ? run('runuser', ['-u', SERVICE_USER, '--', cmd, ...args], options) : run(cmd, args, options)

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

async function waitFor(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  let lastError
  while (Date.now() < deadline) {
    try {
      if (await probe()) return
    } catch (error) {
      lastError = error
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(
    `${what} did not become ready within ${timeoutMs / 1000}s: ${lastError?.message ?? 'no answer'}`,
  )
}

async function postgresAnswers(url) {
  const { Client } = require('pg')
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

async function mysqlAnswers(url) {
  const mysql = require('mysql2/promise')
  let connection
  try {
    connection = await mysql.createConnection({ uri: url, connectTimeout: 3000 })
    await connection.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await connection?.end().catch(() => {})
  }
}

/** A Redis PING over a raw socket (no client library needed). */
function redisAnswers(url) {
  const { hostname, port } = new URL(url)
  return new Promise((resolveAnswer) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) })
    const done = (ok) => {
      socket.destroy()
      resolveAnswer(ok)
    }
    socket.setTimeout(3000, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

let aptUpdated = false
function aptInstall(...packages) {
  if (!isRoot)
    throw new Error(
      `missing ${packages.join(' ')}: install it (apt-get install ${packages.join(' ')}) or run as root`,
    )
  log(`installing ${packages.join(' ')} with apt`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  if (!aptUpdated) run('apt-get', ['update', '-qq'], { env })
  aptUpdated = true
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env })
}

function ensureServiceUser() {
  if (!isRoot) return
  try {
    run('id', ['-u', SERVICE_USER])
  } catch {
    run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_USER])
  }
}

function serviceDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  if (isRoot) {
    const uid = Number(run('id', ['-u', SERVICE_USER]).trim())
    const gid = Number(run('id', ['-g', SERVICE_USER]).trim())
    chownSync(dir, uid, gid)
  }
  return dir
}

function postgresBinDir() {
  const find = () => {
    const root = '/usr/lib/postgresql'
    if (!existsSync(root)) return undefined
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a))
    return versions[0] && join(root, versions[0], 'bin')
  }
  let bin = find()
  if (!bin) {
    aptInstall('postgresql')
    bin = find()
  }
  if (!bin) throw new Error('PostgreSQL binaries not found after installing the postgresql package')
  return bin
}

async function startPrivatePostgres() {
  const bin = postgresBinDir()
  ensureServiceUser()
  const dir = serviceDir('opencode-kit-pg-')
  const data = join(dir, 'data')
  const port = await freePort()
  log(`starting a private PostgreSQL on 127.0.0.1:${port} (${dir})`)
  runAsUser(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200`
  runAsUser(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(dir, 'postgres.log'),
    '-o',
    options,
    '-w',
    '-t',
    '60',
    'start',
  ])
  const url = `postgres://postgres@127.0.0.1:${port}/test`
  run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'test'])
  await waitFor('private PostgreSQL', () => postgresAnswers(url))
  return { url, started: { kind: 'postgres', bin, dir, data } }
}

function mariadbBinaries() {
  const find = () => {
    const server = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find(existsSync)
    const install = [
      '/usr/bin/mariadb-install-db',
      '/usr/bin/mysql_install_db',
      '/usr/scripts/mariadb-install-db',
    ].find(existsSync)
    return server && install ? { server, install } : undefined
  }
  let found = find()
  if (!found) {
    aptInstall('mariadb-server')
    found = find()
  }
  if (!found) throw new Error('MariaDB binaries not found after installing the mariadb-server package')
  return found
}

async function startPrivateMariadb() {
  const { server, install } = mariadbBinaries()
  ensureServiceUser()
  const dir = serviceDir('opencode-kit-mariadb-')
  const data = join(dir, 'data')
  const port = await freePort()
  log(`starting a private MariaDB on 127.0.0.1:${port} (${dir})`)
  const userArgs = isRoot ? [`--user=${SERVICE_USER}`] : []
  run(install, [
    '--no-defaults',
    `--datadir=${data}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...userArgs,
  ])
  const logFile = join(dir, 'mariadb.log')
  const child = spawn(
    server,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${join(dir, 'mariadb.sock')}`,
      `--pid-file=${join(dir, 'mariadb.pid')}`,
      `--log-error=${logFile}`,
      '--skip-log-bin',
      '--innodb-flush-log-at-trx-commit=0',
      '--max-connections=300',
      ...userArgs,
    ],
    { detached: true, stdio: 'ignore' },
  )
  child.unref()
  const url = `mysql://root@127.0.0.1:${port}/test`
  await waitFor('private MariaDB', () => mysqlAnswers(`mysql://root@127.0.0.1:${port}/mysql`))
  const mysql = require('mysql2/promise')
  const connection = await mysql.createConnection({ uri: `mysql://root@127.0.0.1:${port}/mysql` })
  await connection.query('CREATE DATABASE IF NOT EXISTS test')
  await connection.end()
  return { url, started: { kind: 'mariadb', pid: child.pid, dir } }
}

/** The redis-server binary (installed with apt when missing): private Redis, and the relay's restart test. */
function redisServerBinary() {
  const find = () =>
    [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(
      (p) => p && existsSync(p),
    )
  let server = find()
  if (!server) {
    aptInstall('redis-server')
    server = find()
  }
  if (!server) throw new Error('redis-server not found after installing the redis-server package')
  return server
}

async function startPrivateRedis() {
  const server = redisServerBinary()
  const dir = mkdtempSync(join(tmpdir(), 'opencode-kit-redis-'))
  const port = await freePort()
  log(`starting a private Redis on 127.0.0.1:${port}`)
  const child = spawn(
    server,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { detached: true, stdio: 'ignore' },
  )
  child.unref()
  const url = `redis://127.0.0.1:${port}`
  await waitFor('private Redis', () => redisAnswers(url), 30_000)
  return { url, started: { kind: 'redis', pid: child.pid, dir } }
}

/** Debian's Chromium for the browser tests (browser downloads are not possible here). */
function ensureChromium() {
  const find = () =>
    [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
      (p) => p && existsSync(p),
    )
  if (find()) return
  aptInstall('chromium')
  if (!find()) throw new Error('chromium not found after installing the chromium package')
}

async function startS3(stateDir) {
  const dir = mkdtempSync(join(tmpdir(), 'opencode-kit-s3-'))
  const port = await freePort()
  const child = spawn(process.execPath, [join(repo, 'scripts', 's3-server.mjs'), String(port), dir, BUCKET], {
    detached: true,
    stdio: ['ignore', openSync(join(stateDir, 's3.log'), 'a'), openSync(join(stateDir, 's3.log'), 'a')],
  })
  child.unref()
  const endpoint = `http://127.0.0.1:${port}`
  await waitFor('s3rver', async () => (await fetch(`${endpoint}/${BUCKET}`)).ok, 30_000)
  log(`started s3rver on ${endpoint} (bucket ${BUCKET})`)
  return {
    env: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: BUCKET,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    started: { kind: 's3rver', pid: child.pid, dir },
  }
}

function readState(stateDir) {
  const file = join(stateDir, 'state.json')
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { started: [], env: {} }
}

function writeState(stateDir, state) {
  mkdirSync(stateDir, { recursive: true })
  writeFileSync(join(stateDir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`)
  writeFileSync(join(stateDir, 'env.json'), `${JSON.stringify(state.env, null, 2)}\n`)
}

async function start(args) {
  const state = readState(args.state)
  if (state.started.length > 0) {
    log(`services already started (${args.state}); stopping them first`)
    await stop(args)
  }
  mkdirSync(args.state, { recursive: true })
  const next = { started: [], env: {} }
  // Record each service as soon as it runs, so a failure later still lets `stop` clean it up.
  const record = (started) => {
    next.started.push(started)
    writeState(args.state, next)
  }

  const pgCandidate = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  if (!args.private.has('postgres') && (await postgresAnswers(pgCandidate))) {
    log(`using PostgreSQL at ${pgCandidate.replace(/:[^:@/]*@/, ':***@')}`)
    next.env.DATABASE_URL = pgCandidate
  } else {
    const pg = await startPrivatePostgres()
    record(pg.started)
    next.env.DATABASE_URL = pg.url
  }

  const myCandidate = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
  if (!args.private.has('mariadb') && (await mysqlAnswers(myCandidate))) {
    log(`using MariaDB/MySQL at ${myCandidate.replace(/:[^:@/]*@/, ':***@')}`)
    next.env.MYSQL_URL = myCandidate
  } else {
    const my = await startPrivateMariadb()
    record(my.started)
    next.env.MYSQL_URL = my.url
  }

  const redisCandidate = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  if (args.redis) {
    if (!args.private.has('redis') && (await redisAnswers(redisCandidate))) {
      log(`using Redis at ${redisCandidate}`)
      next.env.REDIS_URL = redisCandidate
    } else {
      const redis = await startPrivateRedis()
      record(redis.started)
      next.env.REDIS_URL = redis.url
    }
    // The relay's suite restarts a Redis of its own mid-turn (never the shared one).
    next.env.REDIS_SERVER = redisServerBinary()
  }

  if (args.browser) ensureChromium()

  if (args.s3) {
    const s3 = await startS3(args.state)
    record(s3.started)
    Object.assign(next.env, s3.env)
  }
  writeState(args.state, next)
  return next.env
}

function processAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function stopPid(pid) {
  if (!pid || !processAlive(pid)) return
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + 20_000
  while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  if (processAlive(pid)) process.kill(pid, 'SIGKILL')
}

async function stop(args) {
  const state = readState(args.state)
  for (const service of [...state.started].reverse()) {
    try {
      if (service.kind === 'postgres') {
        runAsUser(join(service.bin, 'pg_ctl'), ['-D', service.data, '-m', 'immediate', '-w', 'stop'])
      } else if (service.kind === 'mariadb') {
        const pidFile = join(service.dir, 'mariadb.pid')
        const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : service.pid
        await stopPid(pid)
      } else {
        await stopPid(service.pid)
      }
      log(`stopped ${service.kind}`)
    } catch (error) {
      log(`could not stop ${service.kind}: ${error.message}`)
    }
    rmSync(service.dir, { recursive: true, force: true })
  }
  rmSync(join(args.state, 'state.json'), { force: true })
  rmSync(join(args.state, 'env.json'), { force: true })
}

export { start, stop }

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2))
  if (args.command === 'start') {
    const env = await start(args)
    for (const [name, value] of Object.entries(env)) process.stdout.write(`export ${name}=${value}\n`)
  } else if (args.command === 'stop') {
    await stop(args)
  } else if (args.command === 'env') {
    for (const [name, value] of Object.entries(readState(args.state).env))
      process.stdout.write(`export ${name}=${value}\n`)
  } else {
    process.stderr.write(
      'usage: node scripts/services.mjs start|stop|env [--state DIR] [--private postgres,mariadb] [--no-s3]\n',
    )
    process.exit(2)
  }
}
