/**
 * The repository's publishable packages, discovered from the root `workspaces` (so a package added
 * later is checked without touching the tests), and what `npm pack` would put in their tarballs.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repo = fileURLToPath(new URL('../..', import.meta.url))

/** The repository every package points at (`repository`, `homepage`, `bugs`, README links). */
export const REPOSITORY = 'https://github.com/opencode-kit/opencode-kit'

export interface PackageJson {
  name: string
  version: string
  private?: boolean
  description?: string
  license?: string
  repository?: { type?: string; url?: string; directory?: string } | string
  homepage?: string
  bugs?: { url?: string } | string
  engines?: { node?: string }
  scripts?: Record<string, string>
  main?: string
  module?: string
  types?: string
  exports?: unknown
  files?: string[]
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

export interface WorkspacePackage {
  /** Directory relative to the repository root, e.g. `packages/core`. */
  dir: string
  manifest: PackageJson
}

export const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T

/** Every non-private package matched by the root `workspaces` globs (`dir/*` or a plain dir). */
export function workspacePackages(root = repo): WorkspacePackage[] {
  const { workspaces = [] } = readJson<{ workspaces?: string[] }>(join(root, 'package.json'))
  const dirs = workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern]
    const parent = pattern.slice(0, -2)
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`)
  })
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => ({ dir, manifest: readJson<PackageJson>(join(root, dir, 'package.json')) }))
    .filter((p) => !p.manifest.private)
    .sort((a, b) => a.dir.localeCompare(b.dir))
}

export interface PackResult {
  name: string
  version: string
  files: { path: string; size: number }[]
}

/** `npm pack --dry-run --json` in the package's directory (its `prepack` runs, as on publish). */
export function dryRunPack(dir: string, root = repo): PackResult {
  const stdout = execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], {
    cwd: join(root, dir),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  })
  const [result] = JSON.parse(stdout.slice(stdout.indexOf('['))) as PackResult[]
  if (!result) throw new Error(`npm pack --dry-run printed no result in ${dir}`)
  return result
}

/** Every string leaf of an `exports` map (the files it points at). */
export function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (value && typeof value === 'object') return Object.values(value).flatMap(exportTargets)
  return []
}

/** Targets of the Markdown links and images in `markdown` (inline `[text](target "title")` form). */
export function markdownLinks(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '')
  return [...withoutCode.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
    (match) => match[1] as string,
  )
}
