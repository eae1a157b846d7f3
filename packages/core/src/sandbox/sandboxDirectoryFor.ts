import { lstat, mkdir, realpath, stat } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import { InvalidArgumentError } from '../wire/errors.js'

/** Options of {@link sandboxDirectoryFor}. */
export interface SandboxDirectoryOptions {
  /** The directory holding every conversation's sandbox (e.g. `process.env.OPENCODE_SANDBOX_ROOT`). */
  root: string
  /** The conversation's identifier: letters, digits, `_` and `-` only. */
  id: string | number
}

const IDENTIFIER = /^[0-9A-Za-z_-]+$/

/**
 * The per-conversation sandbox directory, created when missing (mode 0700) and realpath'd:
 * `<realpath(root)>/<id>`. Fails closed when the id is not a plain identifier, when the root lies
 * inside a Git worktree (OpenCode treats a whole worktree as its project, so conversations would
 * see each other's files), or when the directory is a symlink or resolves outside the root. Pass
 * the same absolute path to the OpenCode server (the session's `directory`).
 *
 * @example
 * ```ts
 * const directory = await sandboxDirectoryFor({ root: process.env.OPENCODE_SANDBOX_ROOT ?? '/var/sandboxes', id: conversation.id })
 * const sandbox = new Sandbox({ path: directory })
 * ```
 */
export async function sandboxDirectoryFor(options: SandboxDirectoryOptions): Promise<string> {
  const id = String(options.id)
  if (!IDENTIFIER.test(id))
    throw new InvalidArgumentError(`Not a safe conversation identifier: ${JSON.stringify(id)}`)
  await mkdir(options.root, { recursive: true, mode: 0o700 })
  const root = await realpath(options.root)
  for (let dir = root; ; dir = dirname(dir)) {
    if (await exists(join(dir, '.git'))) {
      throw new InvalidArgumentError(
        `The sandbox root must be outside every Git worktree: ${root} is inside ${dir}`,
      )
    }
    if (dirname(dir) === dir) break
  }
  const path = join(root, id)
  await mkdir(path, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error
  })
  const info = await lstat(path)
  if (info.isSymbolicLink() || !info.isDirectory()) {
    throw new InvalidArgumentError(`Conversation sandbox escapes its root: ${path} is not a plain directory`)
  }
  const resolved = await realpath(path)
  if (!resolved.startsWith(root + sep))
    throw new InvalidArgumentError(`Conversation sandbox escapes its root: ${resolved}`)
  return resolved
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
