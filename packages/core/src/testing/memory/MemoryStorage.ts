import { StorageError } from '../../host/errors.js'
import type { AttachmentBody, AttachmentInfo, AttachmentInput, RowId, StoragePort } from '../../host/ports.js'

async function collect(body: AttachmentBody): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body.slice()
  const chunks: Uint8Array[] = []
  if (typeof (body as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (body as ReadableStream<Uint8Array>).getReader()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      chunks.push(value)
    }
  } else {
    for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk)
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/**
 * An in-memory {@link StoragePort} for tests: keyed by (messageId, filename), attach replaces
 * atomically, list is sorted by filename.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage()
 * await new Artifact({ filename: 'notes.md', content: '# Hi' }).attachTo(storage, message.id)
 * ```
 */
export class MemoryStorage implements StoragePort {
  private readonly files = new Map<string, Map<string, { info: AttachmentInfo; bytes: Uint8Array }>>()

  async attach(messageId: RowId, input: AttachmentInput): Promise<AttachmentInfo> {
    if (!input.filename) throw new StorageError('An attachment needs a filename')
    const bytes = await collect(input.body)
    const info: AttachmentInfo = {
      messageId,
      filename: input.filename,
      size: bytes.byteLength,
      contentType: input.contentType,
      metadata: { ...(input.metadata ?? {}) },
    }
    const byName = this.files.get(String(messageId)) ?? new Map()
    byName.set(input.filename, { info, bytes })
    this.files.set(String(messageId), byName)
    return { ...info }
  }

  async list(messageId: RowId): Promise<AttachmentInfo[]> {
    const byName = this.files.get(String(messageId))
    if (!byName) return []
    return [...byName.values()]
      .map(({ info }) => ({ ...info }))
      .sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0))
  }

  async read(messageId: RowId, filename: string): Promise<ReadableStream<Uint8Array> | null> {
    const entry = this.files.get(String(messageId))?.get(filename)
    if (!entry) return null
    const bytes = entry.bytes
    return new ReadableStream({
      start(controller) {
        controller.enqueue(bytes.slice())
        controller.close()
      },
    })
  }

  async remove(messageId: RowId, filename: string): Promise<boolean> {
    return this.files.get(String(messageId))?.delete(filename) ?? false
  }
}
