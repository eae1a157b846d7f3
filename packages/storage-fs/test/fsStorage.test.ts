// storage-fs beyond the shared contract: several processes attaching one filename at once, the size
// cap, streamed bodies, what reaches the disk, and typed errors.
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { StorageError } from '@opencode-kit/core/adapter'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FsStorage, fsStorage, safeName } from '../src/index.js'

const run = promisify(execFile)
const worker = fileURLToPath(new URL('./support/attachWorker.ts', import.meta.url))
const root = fileURLToPath(new URL('../../..', import.meta.url))
let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'storage-fs-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const read = async (stream: ReadableStream<Uint8Array> | null) =>
  stream ? new Uint8Array(await new Response(stream).arrayBuffer()) : null

describe('storage-fs', () => {
  it('6 processes attaching 2 MB versions of one filename end with one complete version', {
    timeout: 60_000,
  }, async () => {
    const size = 2 * 1024 * 1024
    await Promise.all(
      Array.from({ length: 6 }, (_, writer) =>
        run(process.execPath, ['--import', 'tsx', worker, dir, 'msg-1', String(writer), String(size)], {
          cwd: root,
        }),
      ),
    )
    const storage = fsStorage({ root: dir })
    const [info, ...rest] = await storage.list('msg-1')
    expect(rest).toEqual([])
    expect(info?.size).toBe(size)
    const bytes = await read(await storage.read('msg-1', 'shared.bin'))
    expect(bytes?.byteLength).toBe(size)
    const writer = info?.metadata.writer as string
    expect(bytes?.every((b) => b === writer.charCodeAt(0))).toBe(true) // one writer's bytes, never a mix
  })

  it('streams a body larger than any chunk without buffering it, and stores exact bytes', async () => {
    const storage = fsStorage({ root: dir })
    let produced = 0
    async function* body() {
      for (let i = 0; i < 64; i++) {
        produced++
        yield new Uint8Array(256 * 1024).fill(i)
      }
    }
    const info = await storage.attach(1, {
      filename: 'big.bin',
      body: body(),
      contentType: 'application/octet-stream',
    })
    expect(produced).toBe(64)
    expect(info.size).toBe(64 * 256 * 1024)
    const path = await storage.pathOf(1, 'big.bin')
    expect((await stat(String(path))).size).toBe(info.size)
    const bytes = await read(await storage.read(1, 'big.bin'))
    expect(bytes?.[0]).toBe(0)
    expect(bytes?.[bytes.byteLength - 1]).toBe(63)
  })

  it('maxBytes: a larger body fails with StorageError and leaves nothing behind', async () => {
    const storage = new FsStorage({ root: dir, maxBytes: 1000 })
    await storage.attach(1, {
      filename: 'keep.txt',
      body: new TextEncoder().encode('kept'),
      contentType: 'text/plain',
    })
    const error = await storage
      .attach(1, { filename: 'keep.txt', body: new Uint8Array(5000), contentType: 'text/plain' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(new TextDecoder().decode((await read(await storage.read(1, 'keep.txt'))) ?? undefined)).toBe(
      'kept',
    )
    const files = await readdir(join(dir, safeName('1')))
    expect(files.filter((f) => f.endsWith('.blob'))).toHaveLength(1) // the failed blob was cleaned up
  })

  it('a body stream that fails midway leaves the previous version intact', async () => {
    const storage = fsStorage({ root: dir })
    await storage.attach(1, {
      filename: 'a.txt',
      body: new TextEncoder().encode('v1'),
      contentType: 'text/plain',
    })
    async function* broken() {
      yield new TextEncoder().encode('partial')
      throw new Error('upstream closed')
    }
    await expect(
      storage.attach(1, { filename: 'a.txt', body: broken(), contentType: 'text/plain' }),
    ).rejects.toBeInstanceOf(StorageError)
    expect(new TextDecoder().decode((await read(await storage.read(1, 'a.txt'))) ?? undefined)).toBe('v1')
  })

  it('keeps metadata in a JSON sidecar beside the blob, with the original filename', async () => {
    const storage = fsStorage({ root: dir })
    await storage.attach('m', {
      filename: 'Report Q1.pdf',
      body: new Uint8Array([1]),
      contentType: 'application/pdf',
      metadata: { trust: 'host_rendered' },
    })
    const folder = join(dir, safeName('m'))
    const sidecar = JSON.parse(await readFile(join(folder, `${safeName('Report Q1.pdf')}.json`), 'utf8'))
    expect(sidecar).toMatchObject({
      filename: 'Report Q1.pdf',
      contentType: 'application/pdf',
      size: 1,
      metadata: { trust: 'host_rendered' },
    })
  })

  it('safeName: distinct inputs never share a segment; no segment is special', () => {
    const inputs = ['a', 'A', '..', '.', '/', '_2f', 'a/b', 'a_2fb', '', 'x'.repeat(500), 'x'.repeat(499)]
    const names = inputs.map(safeName)
    expect(new Set(names).size).toBe(inputs.length)
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9_~-][a-z0-9_.~-]*$/)
      expect(name).not.toMatch(/\.$/)
      expect(name.length).toBeLessThanOrEqual(120)
    }
  })

  it('safeName keeps a filename readable: inner dots stay, leading and trailing dots do not', () => {
    expect(safeName('itinerary.md')).toBe('itinerary.md')
    expect(safeName('archive.tar.gz')).toBe('archive.tar.gz')
    expect(safeName('report-2026.pdf')).toBe('report-2026.pdf')
    expect(safeName('.env')).toBe('_2eenv')
    expect(safeName('notes.')).toBe('notes_2e')
    expect(safeName('..')).toBe('_2e_2e')
    expect(safeName('...')).toBe('_2e._2e')
    const inputs = ['a.b', 'a_2eb', 'a._2e', '.a', '_2ea', 'a.', 'a_2e', 'a..b', 'A.md', 'a.md', 'a.MD']
    expect(new Set(inputs.map(safeName)).size).toBe(inputs.length)
    for (const name of inputs.map(safeName)) expect(name).not.toMatch(/^\.|\.$/)
  })

  it('stores a file under its own name, and removing one name never touches a longer one', async () => {
    const storage = fsStorage({ root: dir })
    const body = (text: string) => new TextEncoder().encode(text)
    await storage.attach(7, { filename: 'a', body: body('a'), contentType: 'text/plain' })
    await storage.attach(7, { filename: 'a.b', body: body('a.b'), contentType: 'text/plain' })
    await storage.attach(7, { filename: 'itinerary.md', body: body('# Plan'), contentType: 'text/markdown' })
    const path = await storage.pathOf(7, 'itinerary.md')
    expect(path).toMatch(/[/\\]itinerary\.md\.[0-9a-f-]{36}\.blob$/)
    expect(await storage.remove(7, 'a')).toBe(true)
    expect((await storage.list(7)).map((a) => a.filename)).toEqual(['a.b', 'itinerary.md'])
    expect(new TextDecoder().decode((await read(await storage.read(7, 'a.b'))) ?? undefined)).toBe('a.b')
  })

  it('needs a root', () => {
    expect(() => fsStorage({ root: '' })).toThrow(StorageError)
  })
})
