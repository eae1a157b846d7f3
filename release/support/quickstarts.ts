/**
 * The quickstarts, as a reader follows them. Every `docs/quickstart-*.md` is read into:
 *
 * - its files: the ```ts samples whose first line names a file (`// worker.ts`), written out as is
 *   (fences marked `ts no-check` are fragments and are not), and a ```prisma `// schema.prisma`;
 * - its install lines: every `npm install …` line of its ```sh blocks (comments dropped);
 * - its "try it" script: the one fence marked ```sh try-it, the commands a reader types.
 *
 * {@link tryIt} runs that script line by line in a project where the install lines were run, like
 * a reader at a terminal: `export` lines set variables (the runner pins the ones it provides: a
 * fresh database, a private Redis, the OpenCode URL, a free port — `localhost:3000` in a command
 * becomes that port); a command ending in `&` starts in the background (stopped at the end);
 * a `curl` is repeated until it succeeds and its answer matches the `# → {…}` comment below it
 * (a subset; `"…"` matches any non-empty value), as a reader retries while the server starts or
 * the turn runs — an answer whose `status` is final (not `pending`) but not the expected one fails
 * at once, as does a background command that exits with an error; any other command must exit 0.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repo } from './workspace.js'

export interface Quickstart {
  /** `docs/quickstart-knex.md` */
  page: string
  /** `knex` */
  name: string
  /** File name → source, in page order. */
  files: Map<string, string>
  installs: { specs: string[]; dev: boolean; line: string }[]
  /** Lines of the ```sh try-it fence (undefined when the page has none). */
  tryIt: string[] | undefined
  /** The full page, for checks on its prose. */
  markdown: string
}

interface Fence {
  info: string
  lines: string[]
}

function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n')
  const found: Fence[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]?.match(/^```(\S*)(.*)$/)
    if (!open) continue
    let end = i + 1
    while (end < lines.length && !lines[end]?.startsWith('```')) end++
    found.push({ info: `${open[1]}${open[2]}`.trim(), lines: lines.slice(i + 1, end) })
    i = end
  }
  return found
}

/** `npm install a b@1 -D c   # comment` → its package specs and whether they are dev dependencies. */
export function parseInstall(line: string): { specs: string[]; dev: boolean } | undefined {
  const command = line.replace(/\s#.*$/, '').trim()
  const match = command.match(/^npm (?:install|i|add)\s+(.*)$/)
  if (!match) return undefined
  const words = (match[1] ?? '').split(/\s+/).filter(Boolean)
  return {
    specs: words.filter((w) => !w.startsWith('-')),
    dev: words.some((w) => w === '-D' || w === '--save-dev'),
  }
}

export function readQuickstarts(root = repo): Quickstart[] {
  return readdirSync(join(root, 'docs'))
    .filter((file) => /^quickstart-.+\.md$/.test(file))
    .sort()
    .map((file) => {
      const markdown = readFileSync(join(root, 'docs', file), 'utf8')
      const all = fences(markdown)
      const files = new Map<string, string>()
      for (const fence of all) {
        if (!/^(ts|typescript|prisma)\b/.test(fence.info) || fence.info.includes('no-check')) continue
        const name = fence.lines[0]?.match(/^\/\/ ([\w.-]+\.(?:ts|prisma))\b/)?.[1]
        if (name) files.set(name, `${fence.lines.join('\n')}\n`)
      }
      const installs = all
        .filter((fence) => /^(sh|bash|shell)\b/.test(fence.info))
        .flatMap((fence) => fence.lines)
        .flatMap((line) => {
          const parsed = parseInstall(line)
          return parsed ? [{ ...parsed, line: line.trim() }] : []
        })
      const tryIt = all.find((fence) => /^(sh|bash)\s+try-it\b/.test(fence.info))?.lines
      return {
        page: `docs/${file}`,
        name: file.slice('quickstart-'.length, -'.md'.length),
        files,
        installs,
        tryIt,
        markdown,
      }
    })
}

/** Bare package names a source imports (`node:` built-ins and relative paths excluded). */
export function importedPackages(source: string): string[] {
  const names = new Set<string>()
  for (const match of source.matchAll(
    /(?:^|\n)\s*import\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/g,
  )) {
    const specifier = match[1] ?? ''
    if (specifier.startsWith('.') || specifier.startsWith('node:')) continue
    const parts = specifier.split('/')
    names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier))
  }
  return [...names]
}

/** A package name from an install spec (`@scope/name@^1`, `name@6`). */
export const packageName = (spec: string) => spec.replace(/^(@?[^@]+)(@.*)?$/, '$1')

export interface TryItOptions {
  /** The project directory the commands run in. */
  cwd: string
  /** Variables the runner provides; an `export` of the same name in the script is ignored. */
  pinned: Record<string, string>
  /** The base environment. */
  env: NodeJS.ProcessEnv
  /** Lines to skip (e.g. starting the stand-in when a real server is provided). */
  skip?: (line: string) => boolean
  /** How long a `curl` may be retried (default 90 s) and a command may run (default 120 s). */
  curlTimeoutMs?: number
  commandTimeoutMs?: number
}

export interface TryItStep {
  line: string
  kind: 'export' | 'background' | 'command' | 'curl' | 'skipped'
  /** Output of a command or the last answer of a curl. */
  output?: string
  attempts?: number
}

interface Background {
  line: string
  child: ChildProcess
  output: string
}

function shell(
  line: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], { cwd: options.cwd, env: options.env, detached: true })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const timer = setTimeout(() => kill(child, 'SIGKILL'), options.timeoutMs)
    child.once('error', reject)
    child.once('close', (status) => {
      clearTimeout(timer)
      resolve({ status, output })
    })
  })
}

function kill(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal) // the whole group: bash, npx, tsx, node
  } catch {
    // already gone
  }
}

/** The command without a trailing `# comment` (a `#` outside quotes, after a space). */
export function withoutComment(line: string): string {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quote) {
      if (c === quote) quote = undefined
    } else if (c === "'" || c === '"') quote = c
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return line.slice(0, i).trimEnd()
  }
  return line
}

/** Whether `actual` contains `expected` (`"…"` matches any non-empty value). */
export function matchesSubset(actual: unknown, expected: unknown): boolean {
  if (expected === '…') return actual !== undefined && actual !== null && actual !== ''
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.every((item, i) => matchesSubset(actual[i], item))
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') return false
    return Object.entries(expected).every(([key, value]) =>
      matchesSubset((actual as Record<string, unknown>)[key], value),
    )
  }
  return actual === expected
}

/** The `# → {…}` expectation on the line after `index`, if any. */
function expectationAfter(lines: string[], index: number): unknown {
  const text = lines[index + 1]?.match(/^#\s*→\s*(\{.*\}|\[.*\])/)?.[1]
  return text === undefined ? undefined : JSON.parse(text)
}

function parseExports(line: string): [string, string][] {
  return [...line.slice('export '.length).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g)].map(
    (m) => [m[1] as string, (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2')],
  )
}

/**
 * Run a try-it script. Resolves with the steps when every command succeeded and every curl got
 * its expected answer; rejects with the script's transcript (and background output) otherwise.
 */
export async function tryIt(script: string[], options: TryItOptions): Promise<TryItStep[]> {
  const env: NodeJS.ProcessEnv = { ...options.env, ...options.pinned }
  const port = options.pinned.PORT
  const localize = (line: string) =>
    port ? line.replace(/\b(localhost|127\.0\.0\.1):3000\b/g, `127.0.0.1:${port}`) : line
  const steps: TryItStep[] = []
  const background: Background[] = []
  const lines = script.map((line) => line.trim())
  const transcript = () =>
    [
      ...steps.map(
        (s) => `$ ${s.line}  [${s.kind}${s.attempts ? `, ${s.attempts} tries` : ''}]\n${s.output ?? ''}`,
      ),
      ...background.map((b) => `--- background: ${b.line}\n${b.output.slice(-3000)}`),
    ].join('\n')
  try {
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i] ?? ''
      while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]}`
      if (line === '' || line.startsWith('#')) continue
      if (options.skip?.(line)) {
        steps.push({ line, kind: 'skipped' })
        continue
      }
      if (line.startsWith('export ')) {
        for (const [name, value] of parseExports(line)) if (!(name in options.pinned)) env[name] = value
        steps.push({ line, kind: 'export' })
        continue
      }
      const command = localize(withoutComment(line))
      if (command.endsWith('&')) {
        const child = spawn('bash', ['-c', command.slice(0, -1).trim()], {
          cwd: options.cwd,
          env,
          detached: true,
        })
        const entry: Background = { line, child, output: '' }
        child.stdout?.on('data', (chunk) => (entry.output += chunk))
        child.stderr?.on('data', (chunk) => (entry.output += chunk))
        background.push(entry)
        steps.push({ line, kind: 'background' })
        continue
      }
      if (/^curl\b/.test(command)) {
        const expected = expectationAfter(lines, i)
        const deadline = Date.now() + (options.curlTimeoutMs ?? 90_000)
        const step: TryItStep = { line, kind: 'curl', attempts: 0 }
        steps.push(step)
        for (;;) {
          step.attempts = (step.attempts ?? 0) + 1
          const { status, output } = await shell(command, { cwd: options.cwd, env, timeoutMs: 30_000 })
          step.output = output
          let ok = status === 0
          if (ok && expected !== undefined) {
            try {
              ok = matchesSubset(JSON.parse(output), expected)
            } catch {
              ok = false
            }
          }
          if (ok) break
          // A final answer that is not the expected one will not change: fail now.
          const final = (() => {
            try {
              const status = (JSON.parse(output) as { status?: unknown }).status
              return typeof status === 'string' && status !== 'pending'
            } catch {
              return false
            }
          })()
          if (final) throw new Error(`unexpected answer from: ${line}`)
          const died = background.find((b) => b.child.exitCode !== null && b.child.exitCode !== 0)
          if (died) throw new Error(`a background command exited with ${died.child.exitCode}: ${died.line}`)
          if (Date.now() > deadline) throw new Error(`no expected answer from: ${line}`)
          await new Promise((resolve) => setTimeout(resolve, 250))
        }
        continue
      }
      const { status, output } = await shell(command, {
        cwd: options.cwd,
        env,
        timeoutMs: options.commandTimeoutMs ?? 120_000,
      })
      steps.push({ line, kind: 'command', output })
      if (status !== 0) throw new Error(`exited with ${status}: ${line}`)
    }
    return steps
  } catch (error) {
    throw new Error(`${(error as Error).message}\n\n${transcript()}`)
  } finally {
    for (const b of background) kill(b.child, 'SIGTERM')
    await Promise.all(
      background.map(
        (b) =>
          new Promise<void>((resolve) => {
            if (b.child.exitCode !== null || b.child.signalCode !== null) return resolve()
            const force = setTimeout(() => kill(b.child, 'SIGKILL'), 5000)
            b.child.once('close', () => {
              clearTimeout(force)
              resolve()
            })
          }),
      ),
    )
  }
}
