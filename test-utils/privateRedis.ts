/**
 * A Redis server of the test's own, on a free loopback port, that the test may kill and start
 * again (the shared one at 6379 must never be restarted). No persistence: a restart loses every
 * key, like a crashed cache node.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisServerBinary } from './services.js'

export interface PrivateRedis {
  url: string
  port: number
  /** Kill the server at once (SIGKILL: no goodbye to its clients). */
  kill(): Promise<void>
  /** Start it again on the same port; resolves once it answers PING. */
  start(): Promise<void>
  /** Stop it for good and remove its directory. */
  close(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const binary = redisServerBinary()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'opencode-kit-relay-redis-'))
  let child: ChildProcess | undefined

  const exited = (process: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (process.exitCode !== null || process.signalCode !== null) resolve()
      else process.once('exit', () => resolve())
    })

  async function start(): Promise<void> {
    child = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    )
    const deadline = Date.now() + 20_000
    while (!(await answersPing(port))) {
      if (Date.now() > deadline) throw new Error(`private redis-server on ${port} did not answer`)
      if (child.exitCode !== null) throw new Error(`private redis-server exited (${child.exitCode})`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  async function kill(): Promise<void> {
    const current = child
    child = undefined
    if (!current) return
    current.kill('SIGKILL')
    await exited(current)
  }

  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    close: async () => {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
