import { Readable } from 'node:stream'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import type { RowId } from '@opencode-kit/core'
import {
  type AttachmentBody,
  type AttachmentInfo,
  type AttachmentInput,
  type AttachmentMetadata,
  StorageError,
  type StoragePort,
} from '@opencode-kit/core/adapter'
import { keySegment } from './objectKey.js'

/** Options of {@link S3Storage}. */
export interface S3StorageOptions {
  /** Your S3 client (AWS, MinIO, R2, …). Its retry strategy (`maxAttempts`, `retryMode`) applies. */
  client: S3Client
  bucket: string
  /** Key prefix for every attachment, e.g. `artifacts/` (default: none). */
  prefix?: string
  /** Part size of multipart uploads in bytes (default 8 MiB; S3's minimum is 5 MiB). */
  partSize?: number
  /** Parts uploaded in parallel (default 4): memory stays within `partSize × queueSize`. */
  queueSize?: number
}

/** Object metadata keys (S3 user metadata is ASCII: values are percent-encoded). */
const FILENAME = 'opencode-filename'
const METADATA = 'opencode-metadata'

const isNotFound = (error: unknown) => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } }
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404
}

/**
 * A {@link StoragePort} on any S3-compatible object store. Each attachment is one object at
 * `<prefix><messageId>/<filename>` (both percent-encoded, so no name can escape the prefix or
 * collide); the content type is the object's, and the original filename and the trust metadata
 * travel in its user metadata. Uploads stream through `@aws-sdk/lib-storage` (multipart for large
 * bodies, parts aborted on failure), so an object is visible only once complete and replacing one
 * is atomic. Failures surface as `StorageError` after the client's own retries.
 *
 * @example
 * ```ts
 * import { S3Client } from '@aws-sdk/client-s3'
 * const storage = new S3Storage({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'my-app', prefix: 'artifacts/' })
 * await storage.attach(message.id, { filename: 'report.pdf', body: stream, contentType: 'application/pdf' })
 * ```
 */
export class S3Storage implements StoragePort {
  /** The bucket attachments live in. */
  readonly bucket: string
  /** Key prefix of every attachment. */
  readonly prefix: string
  private readonly client: S3Client
  private readonly partSize: number
  private readonly queueSize: number

  constructor(options: S3StorageOptions) {
    if (!options.bucket) throw new StorageError('s3Storage needs a bucket')
    this.client = options.client
    this.bucket = options.bucket
    this.prefix = options.prefix ?? ''
    this.partSize = options.partSize ?? 8 * 1024 * 1024
    this.queueSize = options.queueSize ?? 4
  }

  /** The object key of an attachment. */
  keyOf(messageId: RowId, filename: string): string {
    return `${this.messagePrefix(messageId)}${keySegment(filename)}`
  }

  async attach(messageId: RowId, input: AttachmentInput): Promise<AttachmentInfo> {
    if (!input.filename) throw new StorageError('An attachment needs a filename')
    const counted = countBytes(input.body)
    const metadata = { ...(input.metadata ?? {}) }
    try {
      await new Upload({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: this.keyOf(messageId, input.filename),
          Body: counted.body,
          ContentType: input.contentType,
          Metadata: {
            [FILENAME]: encodeURIComponent(input.filename),
            [METADATA]: encodeURIComponent(JSON.stringify(metadata)),
          },
        },
        partSize: this.partSize,
        queueSize: this.queueSize,
        leavePartsOnError: false, // a failed multipart upload is aborted: nothing half-visible
      }).done()
    } catch (error) {
      throw new StorageError(`Could not upload ${input.filename}: ${(error as Error).message}`, {
        cause: error,
      })
    }
    return {
      messageId,
      filename: input.filename,
      size: counted.size(),
      contentType: input.contentType,
      metadata,
    }
  }

  async list(messageId: RowId): Promise<AttachmentInfo[]> {
    const keys: string[] = []
    let token: string | undefined
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.messagePrefix(messageId),
            ContinuationToken: token,
          }),
        )
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key)
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token)
      const infos = await Promise.all(keys.map((key) => this.head(messageId, key)))
      return infos
        .filter((info): info is AttachmentInfo => info !== null)
        .sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0))
    } catch (error) {
      throw new StorageError(`Could not list attachments of ${messageId}`, { cause: error })
    }
  }

  async read(messageId: RowId, filename: string): Promise<ReadableStream<Uint8Array> | null> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(messageId, filename) }),
      )
      if (!object.Body) return null
      return object.Body.transformToWebStream() as ReadableStream<Uint8Array>
    } catch (error) {
      if (isNotFound(error)) return null
      throw new StorageError(`Could not read ${filename}`, { cause: error })
    }
  }

  /** Delete an attachment. True if it existed (checked with a HEAD first: S3 deletes say nothing). */
  async remove(messageId: RowId, filename: string): Promise<boolean> {
    const key = this.keyOf(messageId, filename)
    try {
      if (!(await this.head(messageId, key))) return false
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
      return true
    } catch (error) {
      throw new StorageError(`Could not remove ${filename}`, { cause: error })
    }
  }

  /**
   * A presigned GET URL for serving an attachment to a browser without proxying its bytes. Needs
   * `@aws-sdk/s3-request-presigner` installed.
   */
  async signedUrl(
    messageId: RowId,
    filename: string,
    options: { expiresIn?: number; download?: boolean } = {},
  ): Promise<string> {
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner')
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.keyOf(messageId, filename),
      ResponseContentDisposition:
        options.download === false
          ? undefined
          : `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`,
    })
    return getSignedUrl(this.client, command, { expiresIn: options.expiresIn ?? 300 })
  }

  private messagePrefix(messageId: RowId): string {
    return `${this.prefix}${keySegment(String(messageId))}/`
  }

  private async head(messageId: RowId, key: string): Promise<AttachmentInfo | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      const meta = head.Metadata ?? {}
      return {
        messageId,
        filename: decodeURIComponent(meta[FILENAME] ?? ''),
        size: head.ContentLength ?? 0,
        contentType: head.ContentType ?? 'application/octet-stream',
        metadata: parseMetadata(meta[METADATA]),
      }
    } catch (error) {
      if (isNotFound(error)) return null
      throw error
    }
  }
}

/**
 * An {@link S3Storage} for message attachments.
 *
 * @example
 * ```ts
 * import { S3Client } from '@aws-sdk/client-s3'
 * import { s3Storage } from '@opencode-kit/storage-s3'
 * const storage = s3Storage({ client: new S3Client({ region: 'eu-west-1' }), bucket: 'my-app', prefix: 'artifacts/' })
 * ```
 */
export const s3Storage = (options: S3StorageOptions): S3Storage => new S3Storage(options)

function parseMetadata(value: string | undefined): AttachmentMetadata {
  if (!value) return {}
  try {
    const parsed: unknown = JSON.parse(decodeURIComponent(value))
    return parsed && typeof parsed === 'object' ? (parsed as AttachmentMetadata) : {}
  } catch {
    return {}
  }
}

/** The body as something lib-storage streams, counting bytes as they pass (never buffered whole). */
function countBytes(body: AttachmentBody): { body: Uint8Array | Readable; size: () => number } {
  if (body instanceof Uint8Array) return { body, size: () => body.byteLength }
  let size = 0
  async function* counting(): AsyncIterable<Uint8Array> {
    if (typeof (body as ReadableStream<Uint8Array>).getReader === 'function') {
      const reader = (body as ReadableStream<Uint8Array>).getReader()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        size += value.byteLength
        yield value
      }
    }
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength
      yield chunk
    }
  }
  return { body: Readable.from(counting(), { objectMode: false }), size: () => size }
}
