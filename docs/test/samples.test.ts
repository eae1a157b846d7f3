// Every ```ts (and ```tsx) sample in the guide, the READMEs and the examples' READMEs is type-checked against
// the sources (a fence marked `ts no-check` is a deliberate fragment and skipped). Samples may use
// the host-app objects declared in prelude.d.ts; everything else they must import. The samples of
// one document share a directory, and a sample whose first line is a `// name.ts` comment is
// written under that name, so a quickstart's `import { knex } from './db.js'` resolves to the
// quickstart's own `// db.ts` sample.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'

const repo = fileURLToPath(new URL('../..', import.meta.url))
const markdown = [
  'README.md',
  ...readdirSync(join(repo, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(repo, 'packages')).map((p) => `packages/${p}/README.md`),
  ...readdirSync(join(repo, 'examples')).map((e) => `examples/${e}/README.md`),
].filter((path) => {
  try {
    readFileSync(join(repo, path))
    return true
  } catch {
    return false
  }
})

interface Sample {
  source: string
  line: number
  file: string
}

// Inside the repo, so samples resolve node_modules and run as ES modules (top-level await).
const dir = join(repo, 'docs', 'test', '.samples')
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
const samples: Sample[] = []
for (const path of markdown) {
  const lines = readFileSync(join(repo, path), 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const fence = lines[i]?.match(/^```(ts|typescript|tsx|prisma)(.*)$/)
    if (!fence) continue
    const start = i + 1
    let end = start
    while (end < lines.length && !lines[end]?.startsWith('```')) end++
    i = end
    if (fence[2]?.includes('no-check')) continue
    if (fence[1] === 'prisma') {
      // A Prisma schema (`// schema.prisma`): its client is generated next to the samples below.
      const docDir = join(dir, path.replace(/[/.]/g, '_'))
      mkdirSync(docDir, { recursive: true })
      writeFileSync(join(docDir, 'schema.prisma'), `${lines.slice(start, end).join('\n')}\n`)
      generatePrismaClient(docDir)
      continue
    }
    const named = lines[start]?.match(/^\/\/ ([\w-]+\.tsx?)\b/)?.[1]
    const docDir = join(dir, path.replace(/[/.]/g, '_'))
    mkdirSync(docDir, { recursive: true })
    const file = join(docDir, named ?? `sample_${start}.${fence[1] === 'tsx' ? 'tsx' : 'ts'}`)
    // Each sample is its own module; top-level await is allowed.
    writeFileSync(file, `${lines.slice(start, end).join('\n')}\nexport {}\n`)
    samples.push({ source: path, line: start, file })
  }
}

/**
 * `prisma generate` in `cwd` with the repository's CLI. It needs no engine for a driver-adapter
 * client but tries to download the schema engine: any existing file there keeps it offline.
 */
function generatePrismaClient(cwd: string): void {
  const cli = join(repo, 'node_modules', 'prisma', 'build', 'index.js')
  const result = spawnSync(process.execPath, [cli, 'generate', '--schema', 'schema.prisma'], {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    },
  })
  if (result.status !== 0)
    throw new Error(`prisma generate in ${cwd} failed:\n${result.stdout}${result.stderr}`)
}

const config = ts.readConfigFile(join(repo, 'tsconfig.json'), ts.sys.readFile)
const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repo)
const program = ts.createProgram({
  rootNames: [
    ...samples.map((s) => s.file),
    fileURLToPath(new URL('./prelude.d.ts', import.meta.url)),
    fileURLToPath(new URL('./ambient.d.ts', import.meta.url)),
  ],
  options: {
    ...parsed.options,
    noEmit: true,
    // React samples (```tsx) against the minimal React shapes in ambient.d.ts.
    jsx: ts.JsxEmit.ReactJSX,
    noUnusedLocals: false,
    noUnusedParameters: false,
    incremental: false,
  },
})
const diagnostics = ts.getPreEmitDiagnostics(program)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('documentation samples type-check', () => {
  it('found the samples', () => {
    expect(samples.length).toBeGreaterThan(30)
  })
  it.each(samples.map((s) => [`${s.source}:${s.line}`, s] as const))('%s', (_name, sample) => {
    const mine = diagnostics
      .filter((d) => d.file?.fileName === sample.file)
      .map((d) => {
        const { line } = d.file?.getLineAndCharacterOfPosition(d.start ?? 0) ?? { line: 0 }
        return `${relative(repo, sample.source)}:${sample.line + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
      })
    expect(mine).toEqual([])
  })
})
