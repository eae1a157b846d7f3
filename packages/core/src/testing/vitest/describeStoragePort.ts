import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AttachmentInfo, RowId, StoragePort } from '../../host/ports.js'

/** What a storage adapter's test hands to {@link describeStoragePort}. */
export interface StoragePortFixture {
  storage: StoragePort
  raw?: {
    /**
     * Every stored object or file under the adapter's root/prefix, read with the driver or the file
     * system directly (lets the suite prove hostile names stayed inside and nothing leaked).
     */
    keys(): Promise<string[]>
    /** True when `key` (as `keys()` lists it) is inside the adapter's root/prefix. */
    contains(key: string): boolean
  }
  /**
   * What the store guarantees beyond the contract. `metadataWithBytes` (default true): after
   * concurrent attaches, the listed metadata belongs to the same write as the bytes. S3 gives that;
   * some S3-compatible test servers (s3rver) store the two as separate files and may mix writers.
   */
  guarantees?: { metadataWithBytes?: boolean }
  close(): Promise<void>
}

const utf8 = new TextEncoder()
const bytes = (text: string) => utf8.encode(text)
let counter = 0
/** A message id no other test uses (tests must not depend on order). */
const freshId = (): RowId =>
  `msg-${(globalThis as { process?: { pid?: number } }).process?.pid ?? 0}-${Date.now()}-${++counter}`

async function text(stream: ReadableStream<Uint8Array> | null): Promise<string | null> {
  if (!stream) return null
  return new TextDecoder().decode(await new Response(stream).arrayBuffer())
}

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(bytes(chunks[i++] as string))
      else controller.close()
    },
  })
}

async function* iterableOf(chunks: string[]): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) yield bytes(chunk)
}

/**
 * The contract every {@link StoragePort} must meet, as a vitest suite: attachments keyed by
 * (messageId, filename), idempotent attach that replaces atomically and never duplicates, every
 * body shape, streamed reads, idempotent remove, concurrent attaches that end with one complete
 * version, isolation between messages, and hostile names that neither escape nor collide.
 *
 * @example
 * ```ts
 * describeStoragePort('fs storage on a temp dir', async () => {
 *   const root = await mkdtemp(join(tmpdir(), 'storage-'))
 *   return { storage: fsStorage({ root }), close: () => rm(root, { recursive: true, force: true }) }
 * })
 * ```
 */
export function describeStoragePort(name: string, factory: () => Promise<StoragePortFixture>): void {
  describe(`StoragePort contract: ${name}`, () => {
    let fixture: StoragePortFixture
    beforeAll(async () => {
      fixture = await factory()
    })
    afterAll(async () => {
      await fixture?.close()
    })

    it('attach stores bytes with content type and metadata; list and read return them', async () => {
      const id = freshId()
      const info = await fixture.storage.attach(id, {
        filename: 'notes.md',
        body: bytes('# Notes ✓\n'),
        contentType: 'text/markdown',
        metadata: { trust: 'host_rendered', note: 'ünïcode' },
      })
      expect(info).toMatchObject({
        filename: 'notes.md',
        size: bytes('# Notes ✓\n').byteLength,
        contentType: 'text/markdown',
      })
      const [listed] = await fixture.storage.list(id)
      expect(listed).toMatchObject({
        filename: 'notes.md',
        size: info.size,
        contentType: 'text/markdown',
        metadata: { trust: 'host_rendered', note: 'ünïcode' },
      })
      expect(String(listed?.messageId)).toBe(String(id))
      expect(await text(await fixture.storage.read(id, 'notes.md'))).toBe('# Notes ✓\n')
    })

    it('attaching the same filename replaces it: one attachment, the new bytes and metadata', async () => {
      const id = freshId()
      await fixture.storage.attach(id, {
        filename: 'a.txt',
        body: bytes('old'),
        contentType: 'text/plain',
        metadata: { v: '1' },
      })
      await fixture.storage.attach(id, {
        filename: 'a.txt',
        body: bytes('new!'),
        contentType: 'text/plain',
        metadata: { v: '2' },
      })
      const listed = await fixture.storage.list(id)
      expect(listed.map((a) => [a.filename, a.size, a.metadata.v])).toEqual([['a.txt', 4, '2']])
      expect(await text(await fixture.storage.read(id, 'a.txt'))).toBe('new!')
    })

    it('accepts a ReadableStream and an AsyncIterable body', async () => {
      const id = freshId()
      await fixture.storage.attach(id, {
        filename: 's.txt',
        body: streamOf(['str', 'eam']),
        contentType: 'text/plain',
      })
      await fixture.storage.attach(id, {
        filename: 'i.txt',
        body: iterableOf(['it', 'er', 'able']),
        contentType: 'text/plain',
      })
      expect(await text(await fixture.storage.read(id, 's.txt'))).toBe('stream')
      expect(await text(await fixture.storage.read(id, 'i.txt'))).toBe('iterable')
      expect((await fixture.storage.list(id)).map((a) => [a.filename, a.size])).toEqual([
        ['i.txt', 8],
        ['s.txt', 6],
      ])
    })

    it('an empty body is a valid attachment', async () => {
      const id = freshId()
      await fixture.storage.attach(id, {
        filename: 'empty',
        body: new Uint8Array(),
        contentType: 'application/octet-stream',
      })
      expect((await fixture.storage.list(id))[0]?.size).toBe(0)
      expect(await text(await fixture.storage.read(id, 'empty'))).toBe('')
    })

    it('list is sorted by filename and empty for an unknown message; read answers null for a missing file', async () => {
      const id = freshId()
      for (const name of ['c.txt', 'a.txt', 'b.txt']) {
        await fixture.storage.attach(id, { filename: name, body: bytes(name), contentType: 'text/plain' })
      }
      expect((await fixture.storage.list(id)).map((a) => a.filename)).toEqual(['a.txt', 'b.txt', 'c.txt'])
      expect(await fixture.storage.list(freshId())).toEqual([])
      expect(await fixture.storage.read(id, 'nope.txt')).toBeNull()
      expect(await fixture.storage.read(freshId(), 'a.txt')).toBeNull()
    })

    it('remove is idempotent: true once, then false; the file is gone', async () => {
      const id = freshId()
      await fixture.storage.attach(id, {
        filename: 'x.bin',
        body: bytes('x'),
        contentType: 'application/octet-stream',
      })
      expect(await fixture.storage.remove(id, 'x.bin')).toBe(true)
      expect(await fixture.storage.remove(id, 'x.bin')).toBe(false)
      expect(await fixture.storage.read(id, 'x.bin')).toBeNull()
      expect(await fixture.storage.list(id)).toEqual([])
    })

    it('messages are isolated from each other', async () => {
      const [a, b] = [freshId(), freshId()]
      await fixture.storage.attach(a, {
        filename: 'same.txt',
        body: bytes('from a'),
        contentType: 'text/plain',
      })
      await fixture.storage.attach(b, {
        filename: 'same.txt',
        body: bytes('from b'),
        contentType: 'text/plain',
      })
      expect(await text(await fixture.storage.read(a, 'same.txt'))).toBe('from a')
      await fixture.storage.remove(b, 'same.txt')
      expect(await text(await fixture.storage.read(a, 'same.txt'))).toBe('from a')
    })

    it('concurrent attaches of one filename end with one complete version, never a mix', async () => {
      const id = freshId()
      const versions = Array.from({ length: 8 }, (_, i) => `${String(i).repeat(64 * 1024)}`)
      await Promise.all(
        versions.map((body, i) =>
          fixture.storage.attach(id, {
            filename: 'race.txt',
            body: streamOf([body.slice(0, 1000), body.slice(1000)]),
            contentType: 'text/plain',
            metadata: { writer: String(i) },
          }),
        ),
      )
      const listed: AttachmentInfo[] = await fixture.storage.list(id)
      expect(listed).toHaveLength(1)
      const content = await text(await fixture.storage.read(id, 'race.txt'))
      expect(versions).toContain(content)
      if (fixture.guarantees?.metadataWithBytes !== false) {
        expect(content?.[0]).toBe(listed[0]?.metadata.writer) // bytes and metadata from the same writer
      }
    })

    it('a read in progress keeps its bytes while the attachment is replaced', async () => {
      const id = freshId()
      const old = 'o'.repeat(256 * 1024)
      await fixture.storage.attach(id, { filename: 'r.txt', body: bytes(old), contentType: 'text/plain' })
      const reading = await fixture.storage.read(id, 'r.txt')
      await fixture.storage.attach(id, {
        filename: 'r.txt',
        body: bytes('n'.repeat(1000)),
        contentType: 'text/plain',
      })
      const seen = await text(reading)
      expect([old, 'n'.repeat(1000)]).toContain(seen)
    })

    const hostile = [
      '../../escape.txt',
      '/etc/passwd',
      '..',
      '.',
      'a/b/c.txt',
      'back\\slash.txt',
      'nul\u0000byte.txt',
      'new\nline.txt',
      'ünïcødé ✓ 漢字.md',
      'UPPER.txt',
      'upper.txt',
      'x'.repeat(300),
      `${'y'.repeat(299)}z`,
      ' leading and trailing ',
      '%2e%2e%2fencoded',
    ]

    it('hostile filenames round-trip exactly, stay inside, and never collide', async () => {
      const id = freshId()
      for (const [i, filename] of hostile.entries()) {
        await fixture.storage.attach(id, { filename, body: bytes(`#${i}`), contentType: 'text/plain' })
      }
      const listed = await fixture.storage.list(id)
      expect(listed.map((a) => a.filename).sort()).toEqual([...hostile].sort())
      for (const [i, filename] of hostile.entries()) {
        expect(await text(await fixture.storage.read(id, filename))).toBe(`#${i}`)
      }
      if (fixture.raw) {
        for (const key of await fixture.raw.keys()) expect(fixture.raw.contains(key)).toBe(true)
      }
    })

    it('hostile message ids stay inside and never collide', async () => {
      const ids = [
        '../other',
        '..',
        'a/b',
        `${freshId()}\u0000`,
        `${freshId()}`.toUpperCase(),
        `${freshId()}/..`,
      ]
      for (const [i, id] of ids.entries()) {
        await fixture.storage.attach(id, {
          filename: 'f.txt',
          body: bytes(`id${i}`),
          contentType: 'text/plain',
        })
      }
      for (const [i, id] of ids.entries()) {
        expect(await text(await fixture.storage.read(id, 'f.txt'))).toBe(`id${i}`)
        expect(await fixture.storage.list(id)).toHaveLength(1)
      }
      for (const id of ids) await fixture.storage.remove(id, 'f.txt')
      if (fixture.raw) {
        for (const key of await fixture.raw.keys()) expect(fixture.raw.contains(key)).toBe(true)
      }
    })
  })
}
