/**
 * A 200 MB streamed attach on storage-fs and storage-s3: peak RSS growth (target < 64 MB: the body
 * is never buffered whole) and MB/s, against baselines measured in the same run — `fs.copyFile` of
 * the same bytes for storage-fs, one raw multipart `Upload` of the same stream for storage-s3.
 * Run with `npm run bench -- storage`.
 */
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { copyFile, mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { fsStorage } from '../../packages/storage-fs/src/index.js'
import { s3Storage } from '../../packages/storage-s3/src/index.js'
import { s3 } from '../../test-utils/services.js'

const SIZE = 200 * 1024 * 1024
const CHUNK = 1024 * 1024
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const dir = await mkdtemp(join(tmpdir(), 'bench-storage-'))

/** The 200 MB source file the baselines copy and the adapters stream. */
const source = join(dir, 'source.bin')
{
  const handle = await open(source, 'w')
  const chunk = new Uint8Array(CHUNK)
  for (let written = 0; written < SIZE; written += CHUNK) {
    chunk.fill(written / CHUNK)
    await handle.write(chunk)
  }
  await handle.close()
}

/** Time `work`, sampling RSS every 5 ms; returns MB/s and the peak RSS growth in MB. */
async function measure(work: () => Promise<unknown>): Promise<{ mbPerSecond: number; rssGrowthMb: number }> {
  gc()
  const base = process.memoryUsage().rss
  let peak = base
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 5)
  const started = performance.now()
  await work()
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  peak = Math.max(peak, process.memoryUsage().rss)
  return { mbPerSecond: SIZE / 1024 / 1024 / seconds, rssGrowthMb: (peak - base) / 1024 / 1024 }
}

const stream = () =>
  Readable.toWeb(createReadStream(source, { highWaterMark: CHUNK })) as ReadableStream<Uint8Array>
const figures: Record<string, number> = {}
try {
  // storage-fs vs fs.copyFile
  const copy = await measure(() => copyFile(source, join(dir, 'copy.bin')))
  const storage = fsStorage({ root: join(dir, 'fs-root') })
  const fs = await measure(() =>
    storage.attach('bench', { filename: 'big.bin', body: stream(), contentType: 'application/octet-stream' }),
  )
  figures.fs_200mb_rss_growth_mb = fs.rssGrowthMb
  figures.fs_mb_per_s = fs.mbPerSecond
  figures.fs_vs_copyfile_throughput = fs.mbPerSecond / copy.mbPerSecond

  // storage-s3 vs a raw lib-storage Upload, on the S3-compatible server
  const config = s3()
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const rawKey = `bench/${randomUUID()}/raw.bin`
  const raw = await measure(() =>
    new Upload({
      client,
      params: {
        Bucket: config.bucket,
        Key: rawKey,
        Body: createReadStream(source, { highWaterMark: CHUNK }),
      },
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
    }).done(),
  )
  const prefix = `bench/${randomUUID()}/`
  const s3storage = s3Storage({ client, bucket: config.bucket, prefix })
  const s3run = await measure(() =>
    s3storage.attach('bench', {
      filename: 'big.bin',
      body: stream(),
      contentType: 'application/octet-stream',
    }),
  )
  figures.s3_200mb_rss_growth_mb = s3run.rssGrowthMb
  figures.s3_mb_per_s = s3run.mbPerSecond
  figures.s3_vs_raw_upload_throughput = s3run.mbPerSecond / raw.mbPerSecond
  await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: rawKey }))
  await s3storage.remove('bench', 'big.bin')
  client.destroy()

  console.log('200 MB streamed attach:')
  console.log(
    `  storage-fs  ${fs.mbPerSecond.toFixed(0)} MB/s (fs.copyFile ${copy.mbPerSecond.toFixed(0)} MB/s → ${figures.fs_vs_copyfile_throughput.toFixed(2)}×), peak RSS +${fs.rssGrowthMb.toFixed(1)} MB ${fs.rssGrowthMb < 64 ? '✓' : '✗'} (target < 64)`,
  )
  console.log(
    `  storage-s3  ${s3run.mbPerSecond.toFixed(0)} MB/s (raw Upload ${raw.mbPerSecond.toFixed(0)} MB/s → ${figures.s3_vs_raw_upload_throughput.toFixed(2)}×), peak RSS +${s3run.rssGrowthMb.toFixed(1)} MB ${s3run.rssGrowthMb < 64 ? '✓' : '✗'} (raw +${raw.rssGrowthMb.toFixed(1)} MB)`,
  )
  console.log(JSON.stringify(figures))
} finally {
  await rm(dir, { recursive: true, force: true })
}
