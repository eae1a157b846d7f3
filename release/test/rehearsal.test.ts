// The npm user's path, end to end: the changesets release flow (`changeset version`, then
// `changeset publish`) against a real registry on loopback, from a copy of the checkout; then a
// fresh project outside the repository installs the packages by name and version with plain
// `npm install` (npm 11's install-script policy included), type-checks a quickstart-sized app under
// strict NodeNext and Bundler resolution, runs a turn from ESM and from CommonJS, and follows every
// docs/quickstart-*.md as written: its install lines, its files, its "try it" commands — against
// the stand-in, and for knex against a real `opencode serve` too. One registry, one install.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RunningStandIn, scenario, startOpencodeStandIn } from '@opencode-kit/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FINAL_TEXT } from '../../e2e/support/fakeLlm.js'
import { startRealOpencode } from '../../e2e/support/opencodeServer.js'
import { type PrivateRedis, startPrivateRedis } from '../../test-utils/privateRedis.js'
import { createDatabase, type FreshDatabase } from '../support/databases.js'
import { importedPackages, packageName, readQuickstarts, tryIt } from '../support/quickstarts.js'
import { freePort, type LocalRegistry, startLocalRegistry } from '../support/registry.js'
import {
  copyRepository,
  createFreshProject,
  type FreshProject,
  installedVersion,
  type Published,
  prepackAll,
  run,
  runAsync,
  userEnv,
  versionAndPublish,
} from '../support/rehearsal.js'
import { type PackageJson, repo, workspacePackages } from '../support/workspace.js'

const fixtures = new URL('../fixtures/app/', import.meta.url)
const quickstarts = readQuickstarts()
/** What a user installs first: core, one adapter, one storage, the ORM and its driver. */
const FIRST_INSTALL = ['@opencode-kit/core', '@opencode-kit/adapter-knex', '@opencode-kit/storage-fs']

let work: string
let registry: LocalRegistry | undefined
let published: Published
let project: FreshProject
let database: FreshDatabase | undefined
let standIn: RunningStandIn | undefined
let redis: PrivateRedis | undefined
const timings: Record<string, number> = {}
const versionsBefore = workspacePackages().map((p) => `${p.manifest.name}@${p.manifest.version}`)

async function timed<T>(name: string, step: () => T | Promise<T>): Promise<T> {
  const started = Date.now()
  try {
    return await step()
  } finally {
    timings[name] = Date.now() - started
  }
}

beforeAll(async () => {
  await timed('prepack', prepackAll)
  work = mkdtempSync(join(tmpdir(), 'opencode-kit-release-'))
  registry = await timed('registry start', startLocalRegistry)
  const copy = join(work, 'repo')
  await timed('copy', () => copyRepository(copy))
  published = await timed('version + publish', () => versionAndPublish(copy, registry!))
  project = createFreshProject(join(work, 'app'), registry)
  database = await createDatabase('app')
  standIn = await startOpencodeStandIn({
    respond: ({ text }) => scenario().write('notes.md', `# Notes\n\n${text}\n`).text(`Noted: ${text}`),
  })
})

afterAll(async () => {
  await registry?.close()
  await standIn?.close()
  await redis?.close()
  await database?.drop()
  // OPENCODE_KIT_KEEP_RELEASE=1 keeps the copy, the registry's storage aside, and the fresh project.
  if (work && !process.env.OPENCODE_KIT_KEEP_RELEASE) rmSync(work, { recursive: true, force: true })
  else if (work) process.stdout.write(`release rehearsal kept in ${work}\n`)
  process.stdout.write(
    `release rehearsal timings: ${Object.entries(timings)
      .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
      .join(', ')}\n`,
  )
})

describe('changesets release flow', () => {
  it('changeset version bumps every package in lockstep, with changelogs and exact sibling versions', () => {
    expect(versionsBefore).not.toContain(`@opencode-kit/core@${published.version}`)
    const copy = join(work, 'repo')
    for (const { dir, manifest } of workspacePackages(copy)) {
      expect(manifest.version, manifest.name).toBe(published.version)
      expect(readFileSync(join(copy, dir, 'CHANGELOG.md'), 'utf8')).toContain('Release rehearsal.')
      for (const [name, range] of Object.entries(manifest.dependencies ?? {}))
        if (name.startsWith('@opencode-kit/'))
          expect(range, `${manifest.name} → ${name}`).toBe(published.version)
    }
  })

  it('changeset publish puts every package on the registry at that version and tags the release', async () => {
    expect(published.names.length).toBe(workspacePackages().length)
    for (const name of published.names) {
      const response = await fetch(`${registry!.url}${name.replace('/', '%2f')}`)
      expect(response.status, name).toBe(200)
      const packument = (await response.json()) as {
        'dist-tags': Record<string, string>
        versions: Record<string, PackageJson & { dist: { tarball: string } }>
      }
      expect(packument['dist-tags'].latest, name).toBe(published.version)
      const manifest = packument.versions[published.version]
      expect(manifest?.license, name).toBe('MIT')
      expect(published.tags).toContain(`${name}@${published.version}`)
    }
  })

  it('leaves the checkout untouched (the copy consumed the changesets)', () => {
    expect(existsSync(join(work, 'repo', '.changeset', 'release-rehearsal.md'))).toBe(false)
    expect(existsSync(join(repo, '.changeset', 'release-rehearsal.md'))).toBe(false)
    expect(workspacePackages().map((p) => `${p.manifest.name}@${p.manifest.version}`)).toEqual(versionsBefore)
  })
})

describe('a fresh project outside the repository', () => {
  it('installs core, an adapter and a storage by name and version; none needs an install script', () => {
    const specs = FIRST_INSTALL.map((name) => `${name}@${published.version}`)
    // --strict-allow-scripts: an install script anywhere in this tree fails the install, so a user
    // never has to review or allow one for opencode-kit.
    const install = project.npm(['install', '--strict-allow-scripts', ...specs, 'knex', 'pg'])
    expect(install.status, install.output).toBe(0)
    expect(install.output).not.toMatch(/ERESOLVE|peer dep|install-scripts/i)
    for (const name of FIRST_INSTALL) expect(installedVersion(project, name), name).toBe(published.version)
    const tree = project.npm(['ls', '--all'])
    expect(tree.status, tree.output).toBe(0)
    expect(tree.stdout, tree.stdout).not.toMatch(/UNMET (?!OPTIONAL)|invalid|missing/)
  })

  it("installs the rest of what the quickstarts' install lines list, with plain npm install", () => {
    // Our packages at the rehearsed version; everything else as the pages write it.
    const pin = (spec: string) =>
      spec.startsWith('@opencode-kit/') ? `${packageName(spec)}@${published.version}` : spec
    for (const dev of [false, true]) {
      const specs = [
        ...new Set(
          quickstarts.flatMap((q) => q.installs.filter((i) => i.dev === dev)).flatMap((i) => i.specs),
        ),
      ]
      const install = project.npm(['install', ...(dev ? ['--save-dev'] : []), ...specs.map(pin)])
      expect(install.status, install.output).toBe(0)
      // npm 11 names dependencies whose install scripts it skipped: never one of ours.
      expect(install.output).not.toMatch(/@opencode-kit\/[^\s]+ \(install/)
      expect(install.output).not.toMatch(/ERESOLVE/)
    }
  })

  it('type-checks a quickstart-sized app under strict NodeNext (ESM and CommonJS) and Bundler, on the newest TypeScript and on 5.9', () => {
    for (const file of ['turn.mts', 'turn.cts'])
      copyFileSync(new URL(file, fixtures), join(project.dir, file))
    const strict = { strict: true, target: 'es2022', skipLibCheck: false, types: ['node'] }
    writeFileSync(
      join(project.dir, 'tsconfig.nodenext.json'),
      JSON.stringify({
        compilerOptions: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' },
        files: ['turn.mts', 'turn.cts'],
      }),
    )
    writeFileSync(
      join(project.dir, 'tsconfig.bundler.json'),
      JSON.stringify({
        compilerOptions: { ...strict, module: 'preserve', moduleResolution: 'bundler', noEmit: true },
        files: ['turn.mts', 'turn.cts'],
      }),
    )
    // The quickstarts install the newest TypeScript; many projects are still on 5.x.
    const older = project.npm(['install', '--save-dev', 'typescript-5.9@npm:typescript@~5.9'])
    expect(older.status, older.output).toBe(0)
    for (const compiler of ['typescript', 'typescript-5.9']) {
      const tsc = join(project.dir, 'node_modules', compiler, 'bin', 'tsc')
      for (const config of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
        // 5.9 checks the app against our types; the newest (native, fast) also checks every .d.ts.
        const args = compiler === 'typescript' ? ['-p', config] : ['-p', config, '--noEmit', '--skipLibCheck']
        const check = run(process.execPath, [tsc, ...args], { cwd: project.dir })
        expect(check.status, `${compiler} ${config}:\n${check.output}`).toBe(0)
      }
    }
    expect(existsSync(join(project.dir, 'out', 'turn.mjs'))).toBe(true)
    expect(existsSync(join(project.dir, 'out', 'turn.cjs'))).toBe(true)
  })

  it.each(['turn.mjs', 'turn.cjs'])(
    'runs a turn (kit, startTurn, for await over events, result union) against the stand-in: %s',
    async (file) => {
      const result = await runAsync(process.execPath, [join('out', file)], {
        cwd: project.dir,
        env: userEnv({
          DATABASE_URL: database!.url,
          OPENCODE_URL: standIn!.url,
          ARTIFACTS_DIR: join(project.dir, 'artifacts'),
        }),
        timeoutMs: 60_000,
      })
      expect(result.status, result.output).toBe(0)
      const line = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')
      expect(line).toMatchObject({ status: 'completed', files: ['notes.md'] })
      expect(line.content).toMatch(/^Noted: Take a note: (ESM|CommonJS) works$/)
      expect(line.cost).toBeGreaterThanOrEqual(0)
      // The turn's events, iterated with for await: start first, finish last, the text in between.
      expect(line.types[0]).toBe('start')
      expect(line.types.at(-1)).toBe('finish')
      expect(line.types).toContain('text-delta')
    },
  )
})

/**
 * The user's environment, plus what this offline machine needs for `prisma generate`: it needs no
 * engine for a driver-adapter client but tries to download the schema engine first; any existing
 * file as PRISMA_SCHEMA_ENGINE_BINARY keeps it offline (a user's machine downloads it).
 */
const prismaEnv = () =>
  userEnv({ PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath })

describe('the quickstarts, followed as written', () => {
  it('finds every docs/quickstart-*.md, each with files and a try-it script', () => {
    expect(quickstarts.map((q) => q.name)).toContain('knex')
    for (const q of quickstarts) {
      expect(q.files.size, q.page).toBeGreaterThan(0)
      expect(q.tryIt, `${q.page} has no \`\`\`sh try-it block`).toBeDefined()
    }
  })

  it.each(quickstarts.map((q) => [q.page, q] as const))(
    '%s: starts a project the way the fresh one was, installs every package its code imports',
    (_page, q) => {
      expect(q.markdown).toContain('npm init -y && npm pkg set type=module')
      const installed = new Set(q.installs.flatMap((i) => i.specs).map(packageName))
      const imported = [...q.files.values()].flatMap(importedPackages)
      expect(imported.filter((name) => !installed.has(name))).toEqual([])
      expect(q.installs.some((i) => i.dev && i.specs.includes('tsx'))).toBe(true)
    },
  )

  it('type-checks every quickstart under strict NodeNext against the installed packages', () => {
    for (const q of quickstarts) {
      const dir = join(project.dir, 'quickstarts', q.name)
      mkdirSync(dir, { recursive: true })
      for (const [name, source] of q.files) writeFileSync(join(dir, name), source)
      // A Prisma quickstart imports its generated client: generate it as its try-it does.
      if (q.files.has('schema.prisma')) {
        const cli = join(project.dir, 'node_modules', 'prisma', 'build', 'index.js')
        const generate = run(process.execPath, [cli, 'generate'], { cwd: dir, env: prismaEnv() })
        expect(generate.status, generate.output).toBe(0)
      }
    }
    writeFileSync(
      join(project.dir, 'tsconfig.quickstarts.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        include: ['quickstarts/**/*.ts'],
      }),
    )
    const tsc = join(project.dir, 'node_modules', 'typescript', 'bin', 'tsc')
    const check = run(process.execPath, [tsc, '-p', 'tsconfig.quickstarts.json'], { cwd: project.dir })
    expect(check.status, check.output).toBe(0)
  })

  it('loads @opencode-kit/core/testing (the stand-in) without vitest or msw installed', async () => {
    const load = await runAsync(
      process.execPath,
      ['--input-type=module', '-e', "await import('@opencode-kit/core/testing')"],
      { cwd: project.dir, env: userEnv() },
    )
    expect(load.status, load.output).toBe(0)
    expect(existsSync(join(project.dir, 'node_modules', 'vitest'))).toBe(false)
    expect(existsSync(join(project.dir, 'node_modules', 'msw'))).toBe(false)
  })

  const runs = [
    ...quickstarts.map((q) => ({ q, opencode: 'the stand-in' as const })),
    ...quickstarts.filter((q) => q.name === 'knex').map((q) => ({ q, opencode: 'opencode serve' as const })),
  ]
  it.each(runs.map((r) => [r.q.page, r.opencode, r] as const))(
    '%s runs its try-it commands against %s',
    async (_page, _opencode, { q, opencode }) => {
      redis ??= await startPrivateRedis()
      const db = await createDatabase(q.name)
      const real = opencode === 'opencode serve' ? await startRealOpencode() : undefined
      const dir = join(project.dir, 'quickstarts', q.name)
      rmSync(join(dir, 'artifacts'), { recursive: true, force: true })
      try {
        const steps = await tryIt(q.tryIt ?? [], {
          cwd: dir,
          env: prismaEnv(),
          pinned: {
            DATABASE_URL: db.url,
            // One database index per run on the private Redis: no job reaches another run's worker.
            REDIS_URL: `${redis.url}/${runs.findIndex((r) => r.q === q && r.opencode === opencode) + 1}`,
            // The page's standin.ts listens where OPENCODE_URL points.
            OPENCODE_URL: real?.url ?? `http://127.0.0.1:${await freePort()}`,
            PORT: String(await freePort()),
          },
          // With a real server the page's stand-in is not started.
          skip: (line) => real !== undefined && line.includes('standin.ts'),
        })
        expect(steps.filter((s) => s.kind === 'skipped').length).toBe(real ? 1 : 0)
        const last = steps.filter((s) => s.kind === 'curl').at(-1)
        const reply = JSON.parse(last?.output ?? '{}')
        expect(reply.status).toBe('completed')
        expect(reply.content).toBe(real ? FINAL_TEXT : 'You said: Hello!')
      } finally {
        await real?.close()
        await db.drop()
      }
    },
  )
})
