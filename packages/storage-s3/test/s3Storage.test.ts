// storage-s3 beyond the shared contract, on the real S3-compatible server: a server that answers
// 500 twice and then succeeds (the SDK's retries), a server that vanishes mid-upload (a typed
// error, nothing half-visible, the previous version intact), multipart streaming, presigned URLs.
import { randomUUID } from 'node:crypto'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { StorageError } from '@opencode-kit/core/adapter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { s3 } from '../../../test-utils/services.js'
import { keySegment, S3Storage, s3Storage } from '../src/index.js'
import { type FaultProxy, startFaultProxy, testClient } from './support/s3.js'

let proxy: FaultProxy
beforeAll(async () => {
  proxy = await startFaultProxy()
})
afterAll(async () => {
  await proxy?.close()
})

const prefix = () => `s3-tests-${randomUUID()}/`
const text = async (stream: ReadableStream<Uint8Array> | null) =>
  stream ? await new Response(stream).text() : null

describe('storage-s3 against the S3-compatible server', () => {
  it('a server that answers 500 twice then succeeds: the SDK retries and the attach completes', async () => {
    const client = testClient({ endpoint: proxy.url, maxAttempts: 3 })
    const storage = s3Storage({ client, bucket: s3().bucket, prefix: prefix() })
    proxy.failNext(2)
    const before = proxy.seen.length
    await storage.attach('m1', {
      filename: 'retry.txt',
      body: new TextEncoder().encode('made it'),
      contentType: 'text/plain',
    })
    expect(proxy.seen.length - before).toBe(3) // two failures, one success
    expect(await text(await storage.read('m1', 'retry.txt'))).toBe('made it')
    client.destroy()
  })

  it('a server that vanishes mid-upload: StorageError, nothing half-visible, the previous version intact', async () => {
    const client = testClient({ endpoint: proxy.url, maxAttempts: 1 })
    const storage = s3Storage({ client, bucket: s3().bucket, prefix: prefix() })
    await storage.attach('m2', {
      filename: 'doc.bin',
      body: new TextEncoder().encode('version 1'),
      contentType: 'application/octet-stream',
    })
    proxy.cutNextUploadAfter(64 * 1024)
    async function* big() {
      for (let i = 0; i < 16; i++) yield new Uint8Array(64 * 1024).fill(i)
    }
    const error = await storage
      .attach('m2', { filename: 'doc.bin', body: big(), contentType: 'application/octet-stream' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(await text(await storage.read('m2', 'doc.bin'))).toBe('version 1')
    expect((await storage.list('m2')).map((a) => [a.filename, a.size])).toEqual([['doc.bin', 9]])
    client.destroy()
  })

  it('streams a large body as a multipart upload with bounded parts', async () => {
    const client = testClient()
    const storage = new S3Storage({
      client,
      bucket: s3().bucket,
      prefix: prefix(),
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
    })
    const size = 12 * 1024 * 1024
    async function* body() {
      for (let sent = 0; sent < size; sent += 1024 * 1024)
        yield new Uint8Array(1024 * 1024).fill(sent / (1024 * 1024))
    }
    const info = await storage.attach('m3', {
      filename: 'big.bin',
      body: body(),
      contentType: 'application/octet-stream',
    })
    expect(info.size).toBe(size)
    const head = await client.send(
      new HeadObjectCommand({ Bucket: s3().bucket, Key: storage.keyOf('m3', 'big.bin') }),
    )
    expect(head.ContentLength).toBe(size)
    const bytes = new Uint8Array(await new Response(await storage.read('m3', 'big.bin')).arrayBuffer())
    expect(bytes[0]).toBe(0)
    expect(bytes[size - 1]).toBe(11)
    client.destroy()
  })

  it('content type and trust metadata live on the object; keys are percent-encoded segments', async () => {
    const client = testClient()
    const p = prefix()
    const storage = s3Storage({ client, bucket: s3().bucket, prefix: p })
    await storage.attach('msg/1', {
      filename: '../Report Q1.html',
      body: new TextEncoder().encode('<h1>Q1</h1>'),
      contentType: 'text/html',
      metadata: { trust: 'host_rendered', renderer: 'itinerary v2 ✓' },
    })
    const key = storage.keyOf('msg/1', '../Report Q1.html')
    expect(key).toBe(`${p}msg%2F1/%2E%2E%2FReport%20Q1%2Ehtml`)
    const head = await client.send(new HeadObjectCommand({ Bucket: s3().bucket, Key: key }))
    expect(head.ContentType).toBe('text/html')
    expect((await storage.list('msg/1'))[0]?.metadata).toEqual({
      trust: 'host_rendered',
      renderer: 'itinerary v2 ✓',
    })
    client.destroy()
  })

  it('presigned download URLs serve the bytes as an attachment', async () => {
    const client = testClient()
    const storage = s3Storage({ client, bucket: s3().bucket, prefix: prefix() })
    await storage.attach('m4', {
      filename: 'notes.md',
      body: new TextEncoder().encode('# signed'),
      contentType: 'text/markdown',
    })
    const url = await storage.signedUrl('m4', 'notes.md', { expiresIn: 60 })
    const response = await fetch(url)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('# signed')
    expect(response.headers.get('content-disposition')).toContain('attachment')
    client.destroy()
  })

  it('keySegment is injective and never yields a dot segment', () => {
    const inputs = ['.', '..', '%2E', 'a/b', 'a%2Fb', '', 'é', 'e\u0301', 'x'.repeat(1000), 'x'.repeat(999)]
    const segments = inputs.map(keySegment)
    expect(new Set(segments).size).toBe(inputs.length)
    for (const segment of segments) {
      expect(segment).not.toMatch(/^\.{1,2}$/)
      expect(segment).not.toContain('/')
      expect(segment.length).toBeLessThanOrEqual(200)
    }
  })

  it('needs a bucket', () => {
    expect(() => s3Storage({ client: testClient(), bucket: '' })).toThrow(StorageError)
  })
})
