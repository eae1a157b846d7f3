import { readdir, realpath, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'
import type { SandboxSource } from '../host/SandboxSource.js'
import type { ErrorHook } from '../support/ErrorHook.js'
import { reportError } from '../support/reportError.js'
import { MAX_ARTIFACT_SIZE } from '../wire/parseMessages.js'
import { isBlank } from '../wire/types.js'
import { SandboxFile, type SandboxFileOptions } from './SandboxFile.js'
import { UnsafeFileError } from './UnsafeFileError.js'

/** Clock skew absorbed between the host and the agent's container (ms). */
export const CUTOFF_SLACK_MS = 2000

/** Options of {@link Sandbox}. */
export interface SandboxOptions {
  /** The directory the agent writes into (one per conversation, outside any git worktree). */
  path: string
  /** Largest file taken (default 10 MiB). */
  maxFileBytes?: number
  /** Passed to every {@link SandboxFile} (platform constants, testing seams). */
  file?: Pick<SandboxFileOptions, 'constants' | 'beforeOpen'>
  /** Told about every skipped unsafe entry (default: a concise `console.warn`). */
  onError?: ErrorHook
}

/**
 * The directory an agent writes into, scanned after a turn for new files. Only top-level,
 * non-hidden, regular files modified after the cutoff are offered, each behind a
 * {@link SandboxFile} guarded open; the root itself is realpath-resolved, so a symlinked sandbox
 * directory works (the Ruby original rejected every file then). Unsafe entries are skipped and
 * reported to `onError` (`feature: 'opencode.sandbox'`, `action: 'skip_file'`).
 *
 * @example
 * ```ts
 * const sandbox = new Sandbox({ path: `/var/sandboxes/${conversation.id}` })
 * for await (const file of sandbox.files({ after: turnStartedAt })) console.log(file.basename)
 * ```
 */
export class Sandbox implements SandboxSource {
  /** The directory as given. */
  readonly path: string
  /** Largest file taken, in bytes. */
  readonly maxFileBytes: number
  private readonly options: SandboxOptions

  constructor(options: SandboxOptions) {
    this.options = options
    this.path = options.path
    this.maxFileBytes = options.maxFileBytes ?? MAX_ARTIFACT_SIZE
  }

  /** True when the path is an existing directory (a symlinked directory counts). */
  async exists(): Promise<boolean> {
    if (isBlank(this.path)) return false
    try {
      return (await stat(this.path)).isDirectory()
    } catch {
      return false
    }
  }

  /** Safe top-level files modified after `after` (minus {@link CUTOFF_SLACK_MS}), sorted by name. */
  async *files(options: { after?: Date } = {}): AsyncIterable<SandboxFile> {
    if (!(await this.exists())) return
    const root = await realpath(this.path)
    const cutoff = options.after ? options.after.getTime() - CUTOFF_SLACK_MS : undefined
    const names = (await readdir(root)).filter((name) => !name.startsWith('.')).sort()
    for (const name of names) {
      const path = join(root, name)
      let info: Awaited<ReturnType<typeof stat>>
      try {
        info = await stat(path)
      } catch (error) {
        this.skip(name, error) // gone, or a dangling symlink
        continue
      }
      if (!info.isFile()) {
        // Directories are simply not scanned; a FIFO, socket or device is suspicious: say so.
        if (!info.isDirectory()) {
          this.skip(name, new UnsafeFileError(`Not a regular file: ${name}`, 'not_regular'))
        }
        continue
      }
      if (cutoff !== undefined && info.mtimeMs < cutoff) continue
      const file = new SandboxFile({
        ...this.options.file,
        path,
        root: root.endsWith(sep) ? root : root + sep,
        maxBytes: this.maxFileBytes,
      })
      let problem: unknown
      try {
        problem = await file.problem()
      } catch (error) {
        problem = error
      }
      if (problem) this.skip(name, problem)
      else yield file
    }
  }

  /** The first safe file with this basename (modified after `after`), if any. */
  async file(basename: string, options: { after?: Date } = {}): Promise<SandboxFile | undefined> {
    for await (const file of this.files(options)) if (file.basename === basename) return file
    return undefined
  }

  private skip(name: string, error: unknown): void {
    reportError(this.options.onError, error, {
      feature: 'opencode.sandbox',
      action: 'skip_file',
      handled: true,
      severity: 'warning',
      file: name,
      reason: error instanceof UnsafeFileError ? error.reason : 'os_error',
    })
  }
}
