// The README's first command, as a user runs it: `npm run demo` on the embedded default (SQLite +
// storage-fs + the stand-in), against a real `opencode serve` through OPENCODE_URL, and with the
// mistakes a user makes (unreachable server, bad URL, unknown option).
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { FINAL_TEXT } from '../../../e2e/support/fakeLlm.js'
import { startRealOpencode } from '../../../e2e/support/opencodeServer.js'

const repo = fileURLToPath(new URL('../../..', import.meta.url))
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Run the demo without blocking this process (the real server's fake LLM lives here). */
function demo(args: string[], env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'demo-'))
  dirs.push(dir)
  const { OPENCODE_URL: _ignored, ...base } = process.env
  return new Promise<{ status: number | null; stdout: string; stderr: string; dir: string }>((resolve) => {
    execFile(
      process.execPath,
      ['scripts/demo.mjs', '--dir', dir, '--no-color', ...args],
      { cwd: repo, env: { ...base, ...env }, encoding: 'utf8', timeout: 120_000 },
      (error, stdout, stderr) => {
        const code =
          error && typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : 0
        resolve({ status: error ? code : 0, stdout, stderr, dir })
      },
    )
  })
}

describe('npm run demo', () => {
  it('runs one full turn on the embedded default and shows it as a user wants to see it', async () => {
    const { status, stdout, stderr, dir } = await demo([])
    expect(status).toBe(0)
    expect(stdout).toContain('built-in stand-in')
    expect(stdout).toMatch(/thinking\s+The user wants a weekend plan/)
    expect(stdout).toMatch(/todo\s+. Pick neighbourhoods/)
    expect(stdout).toMatch(/tool\s+✓ Write: itinerary\.md/)
    expect(stdout).toMatch(/Agent\s+Here is your Lisbon weekend/)
    expect(stdout).toMatch(/✓ completed in \d+\.\d\d s · cost \$0\.001067 · tokens 4050 in \/ 238 out/)
    expect(stdout).toMatch(/itinerary\.md\s+181 B\s+text\/markdown/)
    expect(stdout).toContain('1 session created, 1 prompt sent')
    expect(existsSync(join(dir, 'demo.sqlite'))).toBe(true)
    // The artifact's file on disk is named like the file the agent wrote (no `_2e` escapes).
    expect(stdout).toMatch(/artifacts\/1\/itinerary\.md\.[0-9a-f-]{36}\.blob/)
    // The set-up phase says what it does and how long it took (a fresh clone's first run is long).
    expect(stderr).toContain('▶ building the packages')
    expect(stderr).toMatch(/✓ done in \d+(s|m \d\ds)/)
  })

  it('answers another --prompt with the stand-in, saying the reply is scripted', async () => {
    const prompt = 'Write a haiku about tea to haiku.md'
    const { status, stdout } = await demo(['--prompt', prompt])
    expect(status).toBe(0)
    expect(stdout).toContain('scripted replies, no model')
    expect(stdout).toContain(`You  ${prompt}`)
    expect(stdout).toMatch(/Agent\s+\(scripted\) You asked: "Write a haiku about tea to haiku\.md"/)
    expect(stdout).toMatch(/tool\s+✓ Write: haiku\.md/)
    expect(stdout).toMatch(
      /haiku\.md\s+\d+ B\s+text\/markdown\s+\S*artifacts\/1\/haiku\.md\.[0-9a-f-]{36}\.blob/,
    )
    expect(stdout).not.toContain('Lisbon')
  })

  it('runs against a real opencode server when OPENCODE_URL is set', async () => {
    const server = await startRealOpencode()
    try {
      const { status, stdout } = await demo(['--prompt', 'Say hello'], { OPENCODE_URL: server.url })
      expect(status).toBe(0)
      expect(stdout).toContain(server.url)
      expect(stdout).toContain(FINAL_TEXT)
      expect(stdout).toMatch(/✓ completed/)
      expect(stdout).not.toContain('stand-in:')
    } finally {
      await server.close()
    }
  })

  it('exits 2 with a clear message when OpenCode is unreachable or the URL is bad', async () => {
    const unreachable = await demo(['--url', 'http://127.0.0.1:1'])
    expect(unreachable.status).toBe(2)
    expect(unreachable.stderr).toContain('cannot reach OpenCode at http://127.0.0.1:1')
    const bad = await demo(['--url', 'not a url'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('not a URL')
    const unknown = await demo(['--frobnicate'])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain("Unknown option '--frobnicate'")
  })

  it('--help explains the options', async () => {
    const { status, stdout } = await demo(['--help'])
    expect(status).toBe(0)
    expect(stdout).toContain('Usage: npm run demo')
    expect(stdout).toContain('--url')
    expect(stdout).toContain('OPENCODE_URL')
  })
})
