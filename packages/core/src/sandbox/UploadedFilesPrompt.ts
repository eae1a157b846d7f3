import { randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { type FileHandle, lstat, mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { InvalidArgumentError } from '../wire/errors.js'

/** A file the user uploaded with their message. */
export interface UploadedFile {
  filename: string
  contentType: string
  byteSize: number
  /** The bytes (fetched from your storage). */
  download(): Promise<Uint8Array> | Uint8Array
}

/** Options of {@link UploadedFilesPrompt.create}. */
export interface UploadedFilesPromptOptions {
  /** The user's message: its text and its uploads. */
  userMessage: { content: string | null | undefined; files: readonly UploadedFile[] }
  /** The conversation's sandbox directory (created when missing; must not be a symlink). */
  sandboxPath: string
  /** The name a file gets inside the sandbox: a plain basename (no `/`, not `.` or `..`). */
  sandboxNameFor: (file: UploadedFile) => string
  /** Testing seam: runs after the root was opened, right before the temp file is created. */
  beforeWrite?: () => Promise<void> | void
}

/** The prompt sentence that introduces the uploads. */
export const UPLOADS_SENTENCE = 'Read each file thoroughly before responding:'

/**
 * Copies a user's uploads into the conversation's sandbox and builds the prompt that names them.
 * The copy is hardened against path swaps: the target name must be a plain basename, the root a
 * real directory that is opened and then written through its descriptor (`/proc/self/fd/N`, or
 * `/dev/fd/N`; no such path → fail closed), via a temp file renamed atomically into place (a symlink
 * at the destination is replaced, never followed), keeping an existing file's mode, and checked
 * again after the rename. Any violation rejects with `InvalidArgumentError`; temp files never stay.
 *
 * @example
 * ```ts
 * const prompt = await UploadedFilesPrompt.create({
 *   userMessage: { content: 'Summarize these', files: uploads },
 *   sandboxPath: `/var/sandboxes/${conversation.id}`,
 *   sandboxNameFor: (file) => `upload-${file.filename.replace(/[^\w.-]/g, '_')}`,
 * })
 * const result = await kit.runTurn({ subjectId: conversation.id, messageId, prompt: prompt.text })
 * ```
 */
export class UploadedFilesPrompt {
  /** The prompt: the user's text, then one line per upload (or the text as it is without uploads). */
  readonly text: string
  /** Sandbox name → original filename (show recognizable names when the agent reads a file). */
  readonly sandboxFileNames: Readonly<Record<string, string>>

  private constructor(text: string, names: Record<string, string>) {
    this.text = text
    this.sandboxFileNames = Object.freeze({ ...names })
  }

  /** Copy every upload into the sandbox, then build the text. */
  static async create(options: UploadedFilesPromptOptions): Promise<UploadedFilesPrompt> {
    const content = options.userMessage.content ?? ''
    const files = options.userMessage.files
    if (files.length === 0) return new UploadedFilesPrompt(String(content), {})
    const names: Record<string, string> = {}
    const lines: string[] = []
    for (const file of files) {
      const name = await copyToSandbox(file, options)
      names[name] = file.filename
      lines.push(`${file.filename} -> ${name} (${file.contentType}, ${file.byteSize} bytes)`)
    }
    const count = files.length
    const text = [
      String(content),
      '',
      `The user uploaded ${count} file${count === 1 ? '' : 's'}. ${UPLOADS_SENTENCE}`,
      ...lines,
    ]
      .join('\n')
      .trim()
    return new UploadedFilesPrompt(text, names)
  }
}

const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino
const missing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT'

async function copyToSandbox(file: UploadedFile, options: UploadedFilesPromptOptions): Promise<string> {
  const root = resolve(options.sandboxPath)
  await mkdir(root, { recursive: true })
  const rootStat = await lstat(root)
  if (!rootStat.isDirectory() || rootStat.isSymbolicLink()) {
    throw new InvalidArgumentError(`Sandbox root must be a directory, not a symlink: ${root}`)
  }
  const name = String(options.sandboxNameFor(file))
  if (name === '' || name !== basename(name) || name === '.' || name === '..' || /[\0/\\]/.test(name)) {
    throw new InvalidArgumentError(`Filename escapes sandbox: ${JSON.stringify(name)}`)
  }
  let dir: FileHandle | undefined
  let temp: string | undefined
  try {
    dir = await open(root, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0))
    if (!sameFile(await dir.stat(), rootStat)) {
      throw new InvalidArgumentError(`Sandbox root changed while opening: ${root}`)
    }
    const anchor = await anchorOf(dir, rootStat)
    const dest = `${anchor}/${name}`
    let mode = 0o666 & ~process.umask()
    try {
      const existing = await lstat(dest)
      if (existing.isFile() && !existing.isSymbolicLink()) mode = existing.mode & 0o7777 // a retry keeps the mode
    } catch (error) {
      if (!missing(error)) throw error
    }
    await options.beforeWrite?.()
    temp = `${anchor}/.opencode-upload-${randomBytes(8).toString('hex')}.tmp`
    const out = await open(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
      0o600,
    )
    try {
      await out.writeFile(await file.download())
      await out.chmod(mode)
      await out.sync()
    } finally {
      await out.close()
    }
    await rename(temp, dest) // atomic: replaces a file, or a symlink without following it
    temp = undefined
    const after = await lstat(root).catch(() => undefined)
    if (!after?.isDirectory() || after.isSymbolicLink() || !sameFile(after, rootStat)) {
      await unlink(dest).catch(() => {})
      throw new InvalidArgumentError(`Sandbox root changed during upload: ${root}`)
    }
    return name
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error
    throw new InvalidArgumentError(
      `Could not copy ${file.filename} into the sandbox: ${(error as Error).message}`,
      { cause: error },
    )
  } finally {
    if (temp) await unlink(temp).catch(() => {})
    await dir?.close().catch(() => {})
  }
}

/** A path that names the opened directory itself, so later writes cannot be redirected by a swap. */
async function anchorOf(dir: FileHandle, rootStat: Stats): Promise<string> {
  for (const candidate of [`/proc/self/fd/${dir.fd}`, `/dev/fd/${dir.fd}`]) {
    try {
      if (sameFile(await stat(candidate), rootStat)) return candidate
    } catch {
      // not on this platform
    }
  }
  throw new InvalidArgumentError('Platform cannot anchor writes to the opened sandbox directory')
}
