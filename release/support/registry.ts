/**
 * A real npm registry on loopback (verdaccio, a root devDependency) for the release rehearsal:
 * its own storage and users in a temp dir, no uplinks (it holds only what the rehearsal
 * publishes; everything else still comes from the public registry through a scoped registry line).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repo } from './workspace.js'

export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/` */
  url: string
  /** A token of a user allowed to publish. */
  token: string
  /** Lines for an `.npmrc` that publishes there. */
  npmrc: string
  close(): Promise<void>
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Resolves once `probe` answers true; rejects after `timeoutMs` or when `failed` says so. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs?: number; failed?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  for (;;) {
    if (await probe().catch(() => false)) return
    const failure = options.failed?.()
    if (failure) throw new Error(`${what}: ${failure}`)
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${options.timeoutMs ?? 60_000} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

export async function startLocalRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'opencode-kit-registry-'))
  const config = join(dir, 'config.yaml')
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 10',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  )
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/`
  let output = ''
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(repo, 'node_modules', 'verdaccio', 'bin', 'verdaccio'),
      '--config',
      config,
      '--listen',
      `127.0.0.1:${port}`,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitUntil('verdaccio', async () => (await fetch(`${url}-/ping`)).ok, {
      failed: () => (child.exitCode === null ? undefined : `exited: ${output.slice(-2000)}`),
    })
    const response = await fetch(`${url}-/user/org.couchdb.user:rehearsal`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rehearsal', password: 'rehearsal-password' }),
    })
    const { token } = (await response.json()) as { token?: string }
    if (!token) throw new Error(`verdaccio created no user (HTTP ${response.status})`)
    const npmrc = `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`
    return { url, token, npmrc, close }
  } catch (error) {
    await close()
    throw error
  }
}
