// Smoke: the S3-compatible server the test command starts accepts a put and serves it back.
import { randomUUID } from 'node:crypto'
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { s3 } from '../../../test-utils/services.js'

describe('smoke: S3-compatible server', () => {
  it('puts and gets an object', async () => {
    const config = s3()
    const client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: true,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
    const key = `smoke/${randomUUID()}.txt`
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: config.bucket,
          Key: key,
          Body: 'hello s3',
          ContentType: 'text/plain',
        }),
      )
      const object = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }))
      expect(await object.Body?.transformToString()).toBe('hello s3')
      expect(object.ContentType).toBe('text/plain')
    } finally {
      await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: key }))
      client.destroy()
    }
  })
})
