// Every package is publishable as it is: what `npm pack` would put in each tarball (its `prepack`
// included) carries the licence, points at the repository, installs on the Node versions we claim,
// contains what `exports` promises and nothing from the build machine, and its README's links work
// on the registry's page. Packages are discovered from the workspaces, so new ones are held to it.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  dryRunPack,
  exportTargets,
  markdownLinks,
  type PackageJson,
  REPOSITORY,
  readJson,
  repo,
  workspacePackages,
} from '../support/workspace.js'

const root = readJson<PackageJson>(join(repo, 'package.json'))
const packages = workspacePackages()
const license = readFileSync(join(repo, 'LICENSE'), 'utf8')
// Packed one after another: a stale package's prepack runs a build.
const packed = new Map(packages.map((p) => [p.dir, dryRunPack(p.dir)]))

/** Files a tarball may contain besides the build output. */
const ALLOWED_TOP_LEVEL = new Set(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'])

describe('the repository', () => {
  it('has an MIT LICENSE the packages copy', () => {
    expect(root.license).toBe('MIT')
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /)
    expect(license).toContain('The above copyright notice and this permission notice shall be included')
  })

  it('finds its packages from the workspaces, at one version (lockstep while 0.x)', () => {
    expect(packages.map((p) => p.manifest.name)).toContain('@opencode-kit/core')
    expect(packages.length).toBeGreaterThanOrEqual(6)
    expect(new Set(packages.map((p) => p.manifest.version)).size).toBe(1)
  })
})

describe.each(packages.map((p) => [p.manifest.name, p] as const))('%s', (_name, { dir, manifest }) => {
  const pack = packed.get(dir)!
  const files = pack.files.map((f) => f.path)
  const read = (path: string) => readFileSync(join(repo, dir, path), 'utf8')

  it('names its licence, repository, homepage and issue tracker', () => {
    expect(manifest.license).toBe('MIT')
    expect(manifest.description?.length ?? 0).toBeGreaterThan(20)
    expect(manifest.repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git`, directory: dir })
    expect(manifest.homepage).toBe(`${REPOSITORY}/tree/main/${dir}#readme`)
    expect(manifest.bugs).toBe(`${REPOSITORY}/issues`)
  })

  it('claims the Node versions the repository is tested on, and builds before it is packed', () => {
    expect(manifest.engines?.node).toBe(root.engines?.node)
    expect(manifest.scripts?.prepack).toBe('node ../../scripts/prepack.mjs')
  })

  it('depends on its sibling packages at exactly their version', () => {
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
      if (name.startsWith('@opencode-kit/')) expect(range, name).toBe(manifest.version)
    }
  })

  it('ships the LICENSE, the README and the build, and nothing else', () => {
    expect(files).toContain('LICENSE')
    expect(files).toContain('README.md')
    expect(read('LICENSE')).toBe(license)
    expect(files.filter((f) => f.startsWith('dist/')).length).toBeGreaterThan(0)
    expect(files.filter((f) => !f.startsWith('dist/') && !ALLOWED_TOP_LEVEL.has(f))).toEqual([])
  })

  it('ships every file its exports, main, module and types point at', () => {
    const targets = [
      ...exportTargets(manifest.exports),
      manifest.main,
      manifest.module,
      manifest.types,
    ].filter((t): t is string => typeof t === 'string' && t !== './package.json')
    expect(targets.length).toBeGreaterThan(0)
    const missing = targets.map((t) => t.replace(/^\.\//, '')).filter((t) => !files.includes(t))
    expect(missing).toEqual([])
  })

  it('publishes no path of the build machine (source maps included)', () => {
    const leaks: string[] = []
    for (const path of files) {
      const text = read(path)
      if (text.includes(repo) || text.includes(repo.replace(/\/$/, ''))) leaks.push(path)
      if (path.endsWith('.map')) {
        const map = JSON.parse(text) as { file?: string; sources: string[] }
        for (const source of [map.file ?? '', ...map.sources])
          if (source.startsWith('/') || /^[A-Za-z]:[\\/]/.test(source)) leaks.push(`${path}: ${source}`)
      }
    }
    expect(leaks).toEqual([])
  })

  it("has README links that work on the registry's page", () => {
    const links = markdownLinks(read('README.md'))
    const relative = links.filter((l) => !/^(https?:|mailto:|#)/.test(l))
    expect(relative, 'relative links are dead on npmjs.com: use absolute GitHub URLs').toEqual([])
    const missing = links
      .map((l) =>
        l.match(/^https:\/\/github\.com\/opencode-kit\/opencode-kit\/(?:blob|tree)\/main\/([^#?]*)/),
      )
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => decodeURIComponent(m[1] ?? ''))
      .filter((path) => !existsSync(join(repo, path)))
    expect(missing, 'links into the repository must name files that exist').toEqual([])
  })
})
