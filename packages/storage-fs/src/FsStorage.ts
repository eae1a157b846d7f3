import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import type { RowId } from '@opencode-kit/core'
import {
  type AttachmentBody,
  type AttachmentInfo,
  type AttachmentInput,
  type AttachmentMetadata,
  StorageError,
  type StoragePort,
} from '@opencode-kit/core/adapter'
import { safeName } from './safeName.js'

/** Options of {@link FsStorage}. */
export interface FsStorageOptions {
  /** Directory that holds every attachment (created on first write). */
  root: string
  /** Largest attachment in bytes (default: unlimited). A larger body fails with `StorageError` and leaves nothing. */
  maxBytes?: number
  /** fsync files and directories before a write is acknowledged (default true; turn off only for tests). */
  durable?: boolean
}

/** The sidecar: everything about an attachment except its bytes. Its rename is the commit point. */
interface Sidecar {
  filename: string
  contentType: string
  metadata: AttachmentMetadata
  size: number
  /** The blob file (in the same directory) holding the bytes. */
  blob: string
}

const SIDECAR = '.json'
const BLOB = /^(.+)\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.blob$/
/** Whether `entry` is a blob of the attachment stored under `key`. */
const isBlobOf = (key: string, entry: string) => BLOB.exec(entry)?.[1] === key
const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT'

/**
 * A {@link StoragePort} on a local directory. Each attachment is a blob file with a unique name
 * plus a JSON sidecar (filename, content type, metadata, size) that points at it; attaching writes
 * and fsyncs the new blob, then atomically renames a new sidecar into place — readers see the old
 * attachment or the new one, never a mix, and a crash leaves at worst an unreferenced blob. Bodies
 * are streamed to disk, never buffered whole. Message ids and filenames are encoded into safe
 * path segments, so no name can escape the root or collide with another.
 *
 * @example
 * ```ts
 * const storage = new FsStorage({ root: './artifacts' })
 * await storage.attach(message.id, { filename: 'notes.md', body: bytes, contentType: 'text/markdown' })
 * const stream = await storage.read(message.id, 'notes.md') // ReadableStream<Uint8Array> | null
 * ```
 */
export class FsStorage implements StoragePort {
  /** The absolute directory holding every attachment. */
  readonly root: string
  private readonly maxBytes: number
  private readonly durable: boolean

  constructor(options: FsStorageOptions) {
    if (!options.root) throw new StorageError('fsStorage needs a root directory')
    this.root = resolve(options.root)
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
    this.durable = options.durable ?? true
  }

  async attach(messageId: RowId, input: AttachmentInput): Promise<AttachmentInfo> {
    if (!input.filename) throw new StorageError('An attachment needs a filename')
    const dir = this.messageDir(messageId)
    const key = safeName(input.filename)
    const blob = `${key}.${randomUUID()}.blob`
    const blobPath = join(dir, blob)
    try {
      await mkdir(dir, { recursive: true })
      const size = await this.writeBlob(blobPath, input.body)
      const previous = await this.sidecar(dir, key)
      const sidecar: Sidecar = {
        filename: input.filename,
        contentType: input.contentType,
        metadata: { ...(input.metadata ?? {}) },
        size,
        blob,
      }
      const temp = join(dir, `${key}${SIDECAR}.${randomUUID()}.tmp`)
      await this.writeFile(temp, JSON.stringify(sidecar))
      await rename(temp, join(dir, `${key}${SIDECAR}`)) // the commit point
      if (this.durable) await this.syncDir(dir)
      if (previous && previous.blob !== blob) await unlink(join(dir, previous.blob)).catch(() => {})
      return {
        messageId,
        filename: input.filename,
        size,
        contentType: input.contentType,
        metadata: sidecar.metadata,
      }
    } catch (error) {
      await unlink(blobPath).catch(() => {})
      if (error instanceof StorageError) throw error
      throw new StorageError(`Could not attach ${input.filename}: ${(error as Error).message}`, {
        cause: error,
      })
    }
  }

  async list(messageId: RowId): Promise<AttachmentInfo[]> {
    const dir = this.messageDir(messageId)
    let entries: string[]
    try {
      entries = await readdir(dir)
    } catch (error) {
      if (isMissing(error)) return []
      throw new StorageError(`Could not list attachments of ${messageId}`, { cause: error })
    }
    const infos: AttachmentInfo[] = []
    for (const entry of entries) {
      if (!entry.endsWith(SIDECAR)) continue
      const sidecar = await this.sidecar(dir, entry.slice(0, -SIDECAR.length))
      if (sidecar) {
        infos.push({
          messageId,
          filename: sidecar.filename,
          size: sidecar.size,
          contentType: sidecar.contentType,
          metadata: sidecar.metadata,
        })
      }
    }
    return infos.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0))
  }

  async read(messageId: RowId, filename: string): Promise<ReadableStream<Uint8Array> | null> {
    const dir = this.messageDir(messageId)
    const key = safeName(filename)
    // A concurrent attach may replace (and unlink) the blob between reading the sidecar and opening it.
    for (let attempt = 0; attempt < 5; attempt++) {
      const sidecar = await this.sidecar(dir, key)
      if (!sidecar) return null
      try {
        const handle = await open(join(dir, sidecar.blob), 'r')
        const stream = createReadStream('', { fd: handle.fd, autoClose: false })
        stream.once('close', () => void handle.close().catch(() => {}))
        stream.once('end', () => void handle.close().catch(() => {}))
        return Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>
      } catch (error) {
        if (!isMissing(error)) throw new StorageError(`Could not read ${filename}`, { cause: error })
      }
    }
    throw new StorageError(`Could not read ${filename}: it kept changing`)
  }

  async remove(messageId: RowId, filename: string): Promise<boolean> {
    const dir = this.messageDir(messageId)
    const key = safeName(filename)
    const sidecar = await this.sidecar(dir, key)
    if (!sidecar) return false
    try {
      await unlink(join(dir, `${key}${SIDECAR}`))
    } catch (error) {
      if (isMissing(error)) return false // someone else removed it first
      throw new StorageError(`Could not remove ${filename}`, { cause: error })
    }
    // The referenced blob, and any left behind by interrupted or concurrent attaches of this name
    // (exactly `<key>.<uuid>.blob`: names contain dots, so `a.<uuid>` must not match `a.b.<uuid>`).
    const blobs = (await readdir(dir).catch(() => [] as string[])).filter((e) => isBlobOf(key, e))
    await Promise.all(blobs.map((b) => unlink(join(dir, b)).catch(() => {})))
    return true
  }

  /** Where the bytes of an attachment are on disk right now (null when it does not exist). */
  async pathOf(messageId: RowId, filename: string): Promise<string | null> {
    const dir = this.messageDir(messageId)
    const sidecar = await this.sidecar(dir, safeName(filename))
    return sidecar ? join(dir, sidecar.blob) : null
  }

  /** Delete every attachment of a message. */
  async removeAll(messageId: RowId): Promise<void> {
    await rm(this.messageDir(messageId), { recursive: true, force: true })
  }

  private messageDir(messageId: RowId): string {
    return join(this.root, safeName(String(messageId)))
  }

  private async sidecar(dir: string, key: string): Promise<Sidecar | null> {
    try {
      return JSON.parse(await readFile(join(dir, `${key}${SIDECAR}`), 'utf8')) as Sidecar
    } catch (error) {
      if (isMissing(error)) return null
      throw new StorageError(`Unreadable attachment metadata in ${dir}`, { cause: error })
    }
  }

  /** Stream the body into a new file (exclusive create), fsync it; returns the byte count. */
  private async writeBlob(path: string, body: AttachmentBody): Promise<number> {
    const handle = await open(path, 'wx', 0o644)
    let size = 0
    try {
      for await (const chunk of chunks(body)) {
        size += chunk.byteLength
        if (size > this.maxBytes) throw new StorageError(`Attachment exceeds ${this.maxBytes} bytes`)
        let offset = 0
        while (offset < chunk.byteLength) {
          const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset)
          offset += bytesWritten
        }
      }
      if (this.durable) await handle.sync()
    } finally {
      await handle.close()
    }
    return size
  }

  private async writeFile(path: string, text: string): Promise<void> {
    const handle = await open(path, 'wx', 0o644)
    try {
      await handle.writeFile(text)
      if (this.durable) await handle.sync()
    } finally {
      await handle.close()
    }
  }

  private async syncDir(dir: string): Promise<void> {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } catch {
      // Some file systems cannot fsync a directory; the rename is still atomic.
    } finally {
      await handle.close()
    }
  }
}

/** The body's chunks, whatever its shape, without buffering it whole. */
async function* chunks(body: AttachmentBody): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body
    return
  }
  if (typeof (body as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (body as ReadableStream<Uint8Array>).getReader()
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        yield value
      }
    } finally {
      reader.releaseLock()
    }
  }
  yield* body as AsyncIterable<Uint8Array>
}

/**
 * A filesystem {@link FsStorage} for message attachments.
 *
 * @example
 * ```ts
 * import { fsStorage } from '@opencode-kit/storage-fs'
 * const storage = fsStorage({ root: './artifacts' })
 * const kit = createOpencodeKit({ client, records, messages, storage, permissions: denyAll() })
 * ```
 */
export const fsStorage = (options: FsStorageOptions): FsStorage => new FsStorage(options)
