/**
 * Starts a REAL `opencode serve` on loopback, fully offline and isolated: its own HOME/XDG dirs and
 * config in a temp dir, a git-initialised project dir, and the scripted fake LLM as its only provider.
 *
 * Which binary: the pinned one (`opencode-linux-x64` in the root package.json) by default; another
 * release when `OPENCODE_E2E_VERSION` (or the `version` option) names one — those live in
 * `.tools/opencode-<version>/`, installed by `node scripts/tools.mjs opencode <version>` (and `npm run test:matrix`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type FakeLlm, startFakeLlm } from './fakeLlm.js'

/** The OpenCode version the root package.json pins (what `npm test`'s e2e suite runs by default). */
export const PINNED_OPENCODE_VERSION = '1.18.33'

/** The version this run's e2e suite talks to: `OPENCODE_E2E_VERSION`, else the pinned one. */
export const OPENCODE_VERSION = process.env.OPENCODE_E2E_VERSION || PINNED_OPENCODE_VERSION

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** A primary agent whose `bash` calls ask for permission (v2 sessions pick it with `agent`). */
export const ASK_BASH_AGENT = 'ask-bash'

export interface RealOpencode {
  url: string
  /** The OpenCode release that is running. */
  version: string
  /** The project directory OpenCode runs in (where `write` puts files). */
  projectDir: string
  llm: FakeLlm
  close(): Promise<void>
}

/** Path of the real opencode binary of `version`, or a clear error when it is not installed. */
export function opencodeBinary(version: string = OPENCODE_VERSION): string {
  if (version !== PINNED_OPENCODE_VERSION) {
    const binary = join(
      repoRoot,
      '.tools',
      `opencode-${version}`,
      'node_modules',
      'opencode-linux-x64',
      'bin',
      'opencode',
    )
    if (!existsSync(binary)) {
      throw new Error(
        `opencode ${version} is not installed in .tools/opencode-${version} (run \`node scripts/tools.mjs opencode ${version}\`)`,
      )
    }
    return binary
  }
  const require = createRequire(import.meta.url)
  try {
    return join(dirname(require.resolve('opencode-linux-x64/package.json')), 'bin', 'opencode')
  } catch {
    throw new Error(
      `opencode-linux-x64@${version} is not installed (it is an optional dependency of the repo root; npm skips it on other platforms)`,
    )
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    // The first request to a just-started server can hang: a short timeout and a retry.
    const response = await fetch(`${url}/global/health`, { signal: AbortSignal.timeout(1000) })
    return response.ok
  } catch {
    return false
  }
}

export interface StartRealOpencodeOptions {
  slowDelayMs?: number
  /** The release to run (default: {@link OPENCODE_VERSION}). */
  version?: string
}

/**
 * Start a real `opencode serve` (offline, the scripted fake model). A server that exits before it
 * is healthy (seen on the shared CI box: `ServeError: Unexpected error`, a port taken meanwhile) is
 * started again, up to three times, on a fresh port.
 */
export async function startRealOpencode(options: StartRealOpencodeOptions = {}): Promise<RealOpencode> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRealOpencodeOnce(options)
    } catch (error) {
      if (!(error instanceof ServerExitedEarly) || attempt >= 3) throw error
    }
  }
}

/** `opencode serve` exited before it answered its health check. */
class ServerExitedEarly extends Error {}

/** A port the OS says is free right now. */
async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startRealOpencodeOnce(options: StartRealOpencodeOptions): Promise<RealOpencode> {
  const root = mkdtempSync(join(tmpdir(), 'opencode-e2e-'))
  const home = join(root, 'home')
  const projectDir = join(root, 'project')
  for (const dir of [home, projectDir]) mkdirSync(dir, { recursive: true })
  execFileSync('git', ['init', '-q', projectDir])
  const llm = await startFakeLlm({ projectDir, slowDelayMs: options.slowDelayMs })
  const config = join(root, 'opencode.json')
  const configText = JSON.stringify({
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    model: 'fake/fake-model',
    small_model: 'fake/fake-model',
    provider: {
      fake: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Fake',
        options: { baseURL: llm.url, apiKey: 'fake-key' },
        models: {
          'fake-model': {
            name: 'Fake model',
            cost: { input: 1, output: 2 },
            limit: { context: 100000, output: 4096 },
          },
        },
      },
    },
    // The v2 API (`/api/*`) has no per-session permission rules: a session that must ask picks this agent.
    agent: { [ASK_BASH_AGENT]: { mode: 'primary', permission: { bash: 'ask' } } },
  })
  writeFileSync(config, configText)
  // 1.18.33's v2 routes read the global and the project config, not OPENCODE_CONFIG: the same
  // file as the global config makes the fake provider visible to both APIs.
  mkdirSync(join(home, '.config', 'opencode'), { recursive: true })
  writeFileSync(join(home, '.config', 'opencode', 'opencode.json'), configText)
  const port = await freePort()
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    OPENCODE_CONFIG: config,
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_SHARE: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    OPENCODE_DISABLE_EXTERNAL_SKILLS: '1',
    // `opencode serve` offers the `question` tool only to app/cli/desktop clients or with this switch.
    OPENCODE_ENABLE_QUESTION_TOOL: '1',
  }
  const child: ChildProcess = spawn(
    opencodeBinary(options.version),
    ['serve', '--port', String(port), '--hostname', '127.0.0.1'],
    {
      cwd: projectDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const url = `http://127.0.0.1:${port}`
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      // opencode can linger on SIGTERM while a session still winds down: give it 5 s, then kill.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    await llm.close()
    rmSync(root, { recursive: true, force: true })
  }
  const deadline = Date.now() + 30_000
  while (!(await healthy(url))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const exited = child.exitCode !== null
      await close()
      const message = `opencode serve did not become healthy: ${output.slice(-2000)}`
      throw exited ? new ServerExitedEarly(message) : new Error(message)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return { url, version: options.version ?? OPENCODE_VERSION, projectDir, llm, close }
}
