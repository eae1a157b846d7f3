// The published shape (host-layer §4 loading_test / version_test, ported): the built packages load
// through their `exports` maps from ESM and CommonJS and expose every named object; core has no
// runtime dependencies; versions move in lockstep. Runs against the built dist (`npm run build`).
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repo = fileURLToPath(new URL('../../..', import.meta.url))
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: repo, encoding: 'utf8' }).trim()

const root = [
  'createOpencodeKit',
  'startTurn',
  'runTurn',
  'Session',
  'describeTool',
  'defineTransform',
  'denyAll',
  'allowOnly',
  'turnEventResponse',
  'sendTurnEvents',
  'Client',
  'OpencodeError',
]
// Helpers, internals and the layers below the kit stay off the root entry (issue 16: ~60 names).
const notRoot = [
  'Reply',
  'SseDecoder',
  'ToolDisplay',
  'Impostor',
  'MessageArtifacts',
  'isBlank',
  'truncate',
  'TURN_DEFAULTS',
  'ErrorReporter',
  'Instrumentation',
  'Tracer',
]
const wire = ['Client', 'Reply', 'SseDecoder', 'Prompts', 'V2Client', 'OpencodeError', 'StaleSessionError']
const sandbox = [
  'Sandbox',
  'SandboxFile',
  'UploadedFilesPrompt',
  'UnsafeFileError',
  'MessageArtifacts',
  'Artifact',
  'Exchange',
]
// The adapter kit (docs/writing-an-adapter.md) and the port errors.
const adapter = [
  'createMessagePort',
  'createRecordPort',
  'resolveAdapterOptions',
  'mapColumns',
  'decodeMessageRow',
  'encodeMessageFields',
  'isUniqueViolation',
  'withUniqueViolation',
  'serializeSqliteWrites',
  'opencodeDdl',
  'DEFAULT_SUBJECTS_TABLE',
  'DEFAULT_MESSAGES_TABLE',
  'DEFAULT_SQLITE_BUSY_TIMEOUT_MS',
  'UniqueViolationError',
  'InvalidArgumentError',
  'StorageError',
]
const testing = [
  'scenario',
  'OpencodeStandIn',
  'startOpencodeStandIn',
  'ManualClock',
  'MemoryRecordPort',
  'MemoryMessagePort',
  'MemoryStorage',
]
const testingVitest = ['describeRecordPort', 'describeMessagePort', 'describeStoragePort']
const testingMsw = ['standInHandlers']

/** Every bare module specifier the built file `entry` reaches through its relative imports (chunks). */
function bareImports(entry: string): Set<string> {
  const dist = join(repo, 'packages/core/dist')
  const seen = new Set<string>()
  const bare = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(join(dist, file), 'utf8')
    for (const [, specifier] of text.matchAll(/(?:from\s*|import\s*\(?\s*|require\(\s*)["']([^"']+)["']/g)) {
      if (!specifier) continue
      if (specifier.startsWith('./')) visit(specifier.slice(2))
      else bare.add(specifier)
    }
  }
  visit(entry)
  return bare
}

const exportsOf = (specifier: string, mode: 'esm' | 'cjs') =>
  JSON.parse(
    mode === 'esm'
      ? node([
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)))`,
        ])
      : node(['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier)}))))`]),
  ) as string[]

describe('package exports (loading_test, ported)', () => {
  it.each(['esm', 'cjs'] as const)(
    '@opencode-kit/core loads from %s and defines every named object, and no helper',
    (mode) => {
      const names = exportsOf('@opencode-kit/core', mode)
      expect(names).toEqual(expect.arrayContaining(root))
      for (const name of notRoot) expect(names).not.toContain(name)
      // Values only (types vanish at runtime): the whole root entry, types included, is ≤ ~60 names.
      expect(names.length).toBeLessThanOrEqual(32)
    },
  )

  it.each(['esm', 'cjs'] as const)('@opencode-kit/core/wire loads from %s', (mode) => {
    expect(exportsOf('@opencode-kit/core/wire', mode)).toEqual(expect.arrayContaining(wire))
  })

  it.each(['esm', 'cjs'] as const)('@opencode-kit/core/adapter loads from %s', (mode) => {
    expect(exportsOf('@opencode-kit/core/adapter', mode)).toEqual(expect.arrayContaining(adapter))
  })

  it.each(['esm', 'cjs'] as const)('@opencode-kit/core/sandbox loads from %s', (mode) => {
    expect(exportsOf('@opencode-kit/core/sandbox', mode)).toEqual(expect.arrayContaining(sandbox))
  })

  it.each(['esm', 'cjs'] as const)(
    '@opencode-kit/core/testing loads outside vitest from %s (the demo uses it)',
    (mode) => {
      const names = exportsOf('@opencode-kit/core/testing', mode)
      expect(names).toEqual(expect.arrayContaining(testing))
      expect(names).not.toContain('describeRecordPort')
    },
  )

  it.each(['testing.js', 'testing.cjs'])(
    'dist/%s reaches neither vitest nor msw, not even through a chunk',
    (entry) => {
      const bare = [...bareImports(entry)]
      expect(bare.filter((name) => /^(vitest|msw)(\/|$)/.test(name))).toEqual([])
    },
  )

  // vitest itself refuses require(): its subpath is for ESM test files, as vitest is.
  it('@opencode-kit/core/testing/vitest loads from esm', () => {
    expect(exportsOf('@opencode-kit/core/testing/vitest', 'esm')).toEqual(
      expect.arrayContaining(testingVitest),
    )
  })

  it.each(['esm', 'cjs'] as const)('@opencode-kit/core/testing/msw loads from %s', (mode) => {
    expect(exportsOf('@opencode-kit/core/testing/msw', mode)).toEqual(expect.arrayContaining(testingMsw))
  })

  it('an error from the testing entry is the same class as from the main entry (one copy of each class)', () => {
    const same = node([
      '--input-type=module',
      '-e',
      "const a = await import('@opencode-kit/core'); const b = await import('@opencode-kit/core/sandbox'); console.log(new b.UnsafeFileError('x', 'symlink') instanceof a.OpencodeError)",
    ])
    expect(same).toBe('true')
  })

  it('core has no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'packages/core/package.json'), 'utf8'))
    expect(pkg.dependencies ?? {}).toEqual({})
  })
})

describe('lockstep versions (version_test, ported)', () => {
  it('every package has the same version and sits in the changesets fixed group', () => {
    const names: string[] = []
    const versions = new Set<string>()
    for (const dir of readdirSync(join(repo, 'packages'))) {
      const pkg = JSON.parse(readFileSync(join(repo, 'packages', dir, 'package.json'), 'utf8'))
      names.push(pkg.name)
      versions.add(pkg.version)
      for (const [dep, range] of Object.entries({ ...pkg.dependencies })) {
        if (dep.startsWith('@opencode-kit/')) expect(range).toBe(pkg.version) // exact pins inside the kit
      }
    }
    expect(versions.size).toBe(1)
    const config = JSON.parse(readFileSync(join(repo, '.changeset/config.json'), 'utf8'))
    const fixed = (config.fixed as string[][]).flat()
    for (const name of names)
      expect(
        fixed.some(
          (pattern) => pattern === name || (pattern.endsWith('*') && name.startsWith(pattern.slice(0, -1))),
        ),
      ).toBe(true)
  })
})
