/**
 * The release, rehearsed: a copy of the repository (so the checkout is never modified) runs the
 * changesets flow — `changeset version`, then `changeset publish` — against a local registry; then a
 * fresh project outside the repository installs the packages by name and version with plain
 * `npm install`, exactly as a user will.
 */
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import type { LocalRegistry } from './registry.js'
import { type PackageJson, readJson, repo, workspacePackages } from './workspace.js'

export interface Run {
  status: number | null
  stdout: string
  stderr: string
  /** stdout and stderr, for error messages. */
  output: string
}

/** Run a command to completion, capturing its output; never throws on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string },
): Run {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    input: options.input,
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.error) throw result.error
  const stdout = result.stdout ?? ''
  const stderr = result.stderr ?? ''
  return { status: result.status, stdout, stderr, output: `${stdout}\n${stderr}`.trim() }
}

/**
 * {@link run} without blocking this process: for children that talk to servers it hosts (the
 * stand-in, the fake LLM). Kills the child after `timeoutMs`.
 */
export function runAsync(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000)
    child.once('error', reject)
    child.once('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr, output: `${stdout}\n${stderr}`.trim() })
    })
  })
}

/** Like {@link run}, but a non-zero exit throws with the command's output. */
export function mustRun(...args: Parameters<typeof run>): Run {
  const result = run(...args)
  if (result.status !== 0) {
    throw new Error(
      `${args[0]} ${args[1].join(' ')} (in ${args[2].cwd}) exited with ${result.status}:\n${result.output.slice(-4000)}`,
    )
  }
  return result
}

/**
 * The environment of a user's shell: without what `npm run`/`npm test` set for this repository
 * (`npm_config_local_prefix` would point a user's `npm install` at the repository, for one).
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) if (/^npm_/i.test(name) || name === 'INIT_CWD') delete env[name]
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', ...extra }
}

/** Top-level entries of the checkout a release does not read. */
const NOT_COPIED = new Set([
  'node_modules',
  '.git',
  '.turbo',
  '.services',
  '.tools',
  '.demo',
  '.web-chat',
  'coverage',
])

/**
 * Copy the checkout to `dest` as it is on disk (uncommitted changes and built `dist` included,
 * timestamps kept so `prepack` sees the build as fresh), with the repository's `node_modules`
 * linked in for the changesets CLI, and a git repository so `changeset publish` can tag.
 */
export function copyRepository(dest: string): void {
  cpSync(repo, dest, {
    recursive: true,
    preserveTimestamps: true,
    filter: (source) => {
      const path = relative(repo, source)
      if (path === '') return true
      if (NOT_COPIED.has(path.split('/')[0] ?? '')) return false
      return basename(source) !== 'node_modules' && !path.startsWith('docs/test/.samples')
    },
  })
  symlinkSync(join(repo, 'node_modules'), join(dest, 'node_modules'), 'dir')
  const git = (...args: string[]) =>
    mustRun('git', ['-c', 'user.name=Release rehearsal', '-c', 'user.email=rehearsal@localhost', ...args], {
      cwd: dest,
    })
  git('init', '-q', '-b', 'main')
  git('add', '-A')
  git('commit', '-q', '-m', 'rehearsal base')
}

export interface Published {
  /** The version `changeset version` gave every package (lockstep). */
  version: string
  /** Package names, as published. */
  names: string[]
  /** `changeset version`'s and `changeset publish`'s output. */
  versionOutput: string
  publishOutput: string
  /** Git tags `changeset publish` created in the copy. */
  tags: string[]
}

/**
 * Every package's `prepack` in the checkout: builds what is stale (turbo's cache makes that
 * seconds) and copies the LICENSE, so the copy's own `prepack`s find fresh builds.
 */
export function prepackAll(): void {
  for (const p of workspacePackages())
    mustRun(process.execPath, [join(repo, 'scripts', 'prepack.mjs')], {
      cwd: join(repo, p.dir),
      timeoutMs: 600_000,
    })
}

/**
 * In the copy at `dir`: add a patch changeset for every package (so there is always something to
 * release), `changeset version`, then `changeset publish` to `registry` (npm's user config points
 * there; the developer's own npm config is not read).
 */
export function versionAndPublish(dir: string, registry: LocalRegistry): Published {
  const packages = workspacePackages(dir)
  const names = packages.map((p) => p.manifest.name)
  writeFileSync(
    join(dir, '.changeset', 'release-rehearsal.md'),
    `---\n${names.map((n) => `'${n}': patch`).join('\n')}\n---\n\nRelease rehearsal.\n`,
  )
  const changeset = join(dir, 'node_modules', '@changesets', 'cli', 'bin.js')
  const versionRun = mustRun(process.execPath, [changeset, 'version'], { cwd: dir, env: userEnv() })
  const versions = new Set(
    workspacePackages(dir).map((p) => readJson<PackageJson>(join(dir, p.dir, 'package.json')).version),
  )
  if (versions.size !== 1) throw new Error(`changeset version left several versions: ${[...versions]}`)
  const [version] = [...versions] as [string]

  const npmrc = join(dir, '..', 'publish.npmrc')
  writeFileSync(npmrc, registry.npmrc)
  const env = userEnv({ npm_config_userconfig: npmrc, npm_config_registry: registry.url })
  const publishRun = mustRun(process.execPath, [changeset, 'publish'], { cwd: dir, env, timeoutMs: 300_000 })
  const tags = mustRun('git', ['tag', '--list'], { cwd: dir }).stdout.split('\n').filter(Boolean)
  return { version, names, versionOutput: versionRun.output, publishOutput: publishRun.output, tags }
}

export interface FreshProject {
  dir: string
  /** `npm <args>` in the project, as a user types it. */
  npm(args: string[], options?: { timeoutMs?: number }): Run
}

/**
 * An empty project at `dir` (outside the repository): `npm init -y`, `npm pkg set type=module`
 * (what the quickstarts say), and a scoped registry line sending `@opencode-kit/*` to `registry`
 * — the one thing a user of a private registry adds. Everything else comes from the public registry.
 */
export function createFreshProject(dir: string, registry: LocalRegistry): FreshProject {
  mkdirSync(dir, { recursive: true })
  const env = userEnv()
  const project: FreshProject = {
    dir,
    npm: (args, options = {}) => run('npm', args, { cwd: dir, env, timeoutMs: options.timeoutMs ?? 300_000 }),
  }
  const must = (args: string[]) => {
    const result = project.npm(args)
    if (result.status !== 0) throw new Error(`npm ${args.join(' ')}: ${result.output.slice(-4000)}`)
  }
  must(['init', '-y'])
  must(['pkg', 'set', 'type=module'])
  writeFileSync(join(dir, '.npmrc'), `@opencode-kit:registry=${registry.url}\n`)
  return project
}

/** The version of `name` installed in the project. */
export function installedVersion(project: FreshProject, name: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(project.dir, 'node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return undefined
  }
}
