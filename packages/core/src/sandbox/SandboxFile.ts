import { constants as fsConstants, type Stats } from 'node:fs'
import { type FileHandle, lstat, open, realpath, stat } from 'node:fs/promises'
import { basename, sep } from 'node:path'
import { Artifact } from '../host/Artifact.js'
import type { SandboxEntry } from '../host/SandboxSource.js'
import { contentTypeOf } from '../wire/contentTypeOf.js'
import { MAX_ARTIFACT_SIZE } from '../wire/parseMessages.js'
import { UnsafeFileError } from './UnsafeFileError.js'

/** Options of {@link SandboxFile}. */
export interface SandboxFileOptions {
  /** The file's path. */
  path: string
  /** The sandbox root, realpath-resolved; the file's realpath must be inside it. */
  root: string
  /** Largest readable size in bytes (default 10 MiB). */
  maxBytes?: number
  /** Open flags of the platform (default `fs.constants`); a platform without O_NOFOLLOW/O_NONBLOCK fails closed. */
  constants?: { O_RDONLY: number; O_NOFOLLOW?: number; O_NONBLOCK?: number }
  /** Testing seam: runs between the checks on the path and the open (to swap the file). */
  beforeOpen?: () => Promise<void> | void
}

const READ_CHUNK = 64 * 1024
const errnoMessage = (error: unknown) => (error as Error)?.message ?? String(error)

/**
 * One file an agent wrote into a sandbox, read through a guarded open: the path must be a regular
 * file with a single link, its realpath inside the root; it is opened with O_NOFOLLOW | O_NONBLOCK
 * (a symlink, FIFO or socket swapped in fails at once, never blocks) and the opened descriptor must
 * be the same file (device and inode) that was checked. Reads are bounded. Anything else raises
 * {@link UnsafeFileError}; nothing outside the root is ever read.
 *
 * @example
 * ```ts
 * const file = new SandboxFile({ path: '/sandboxes/42/notes.md', root: '/sandboxes/42' })
 * if (await file.safe()) await (await file.asArtifact()).attachTo(storage, message.id)
 * ```
 */
export class SandboxFile implements SandboxEntry {
  /** The file's path. */
  readonly path: string
  /** The sandbox root the file must stay inside. */
  readonly root: string
  /** Largest readable size in bytes. */
  readonly maxBytes: number
  private readonly options: SandboxFileOptions

  constructor(options: SandboxFileOptions) {
    this.options = options
    this.path = options.path
    this.root = options.root
    this.maxBytes = options.maxBytes ?? MAX_ARTIFACT_SIZE
  }

  /** The file's name, without directories. */
  get basename(): string {
    return basename(this.path)
  }

  /** Content type from the filename only (never sniffed from the bytes). */
  get contentType(): string {
    return contentTypeOf(this.basename)
  }

  /** Size in bytes (a plain stat: informational, not a safety check). */
  async size(): Promise<number> {
    return (await stat(this.path)).size
  }

  /** Modification time (a plain stat). */
  async mtime(): Promise<Date> {
    return (await stat(this.path)).mtime
  }

  /** True when the guarded open succeeds. */
  async safe(): Promise<boolean> {
    return (await this.problem()) === null
  }

  /** Why the guarded open fails, or null when the file is safe. */
  async problem(): Promise<UnsafeFileError | null> {
    try {
      await this.guarded(async () => undefined)
      return null
    } catch (error) {
      if (error instanceof UnsafeFileError) return error
      throw error
    }
  }

  /** The bytes, read through the guarded open; a file that grows past the cap while read is refused. */
  async content(): Promise<Uint8Array> {
    return this.guarded(async (handle) => {
      const chunks: Uint8Array[] = []
      let total = 0
      for (;;) {
        const buffer = new Uint8Array(READ_CHUNK)
        const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null)
        if (bytesRead === 0) break
        total += bytesRead
        if (total > this.maxBytes) {
          throw new UnsafeFileError(
            `Sandbox file exceeds size limit while reading: ${this.basename}`,
            'too_large',
          )
        }
        chunks.push(buffer.subarray(0, bytesRead))
      }
      const out = new Uint8Array(total)
      let offset = 0
      for (const chunk of chunks) {
        out.set(chunk, offset)
        offset += chunk.byteLength
      }
      return out
    })
  }

  /** The file as an {@link Artifact} (read again through the guarded open). */
  async asArtifact(): Promise<Artifact> {
    return new Artifact({
      filename: this.basename,
      content: await this.content(),
      contentType: this.contentType,
    })
  }

  private async guarded<T>(read: (handle: FileHandle) => Promise<T>): Promise<T> {
    const name = this.basename
    let handle: FileHandle | undefined
    try {
      const before = await lstat(this.path)
      if (before.isSymbolicLink())
        throw new UnsafeFileError(`Unsafe sandbox file (a symlink): ${name}`, 'symlink')
      if (!before.isFile())
        throw new UnsafeFileError(`Unsafe sandbox file (not a regular file): ${name}`, 'not_regular')
      if (before.nlink !== 1)
        throw new UnsafeFileError(`Unsafe sandbox file (hard link): ${name}`, 'hard_link')
      const real = await realpath(this.path)
      const root = this.root.endsWith(sep) ? this.root : this.root + sep
      if (!real.startsWith(root))
        throw new UnsafeFileError(`Sandbox file escapes its root: ${name}`, 'escapes_root')
      const flags = this.options.constants ?? fsConstants
      const missing = [
        flags.O_NOFOLLOW === undefined ? 'O_NOFOLLOW' : undefined,
        flags.O_NONBLOCK === undefined ? 'O_NONBLOCK' : undefined,
      ].filter(Boolean)
      if (missing.length > 0) {
        throw new UnsafeFileError(
          `Platform cannot safely open sandbox files: missing ${missing.join(', ')}`,
          'platform',
        )
      }
      await this.options.beforeOpen?.()
      handle = await open(
        this.path,
        flags.O_RDONLY | (flags.O_NONBLOCK as number) | (flags.O_NOFOLLOW as number),
      )
      const opened = await handle.stat()
      if (!sameFile(before, opened) || !opened.isFile() || opened.nlink !== 1) {
        throw new UnsafeFileError(`Sandbox file changed while opening: ${name}`, 'changed')
      }
      if (opened.size > this.maxBytes)
        throw new UnsafeFileError(`Sandbox file exceeds size limit: ${name}`, 'too_large')
      return await read(handle)
    } catch (error) {
      if (error instanceof UnsafeFileError) throw error
      throw new UnsafeFileError(`Unsafe sandbox file ${name}: ${errnoMessage(error)}`, 'os_error', {
        cause: error,
      })
    } finally {
      await handle?.close().catch(() => {})
    }
  }
}

const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino
