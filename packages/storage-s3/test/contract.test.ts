// storage-s3 passes the StoragePort contract suite on the real S3-compatible server the test
// command starts (never a mocked client), and every object it writes stays under its prefix.
import { randomUUID } from 'node:crypto'
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import { describeStoragePort } from '@opencode-kit/core/testing/vitest'
import { s3 } from '../../../test-utils/services.js'
import { s3Storage } from '../src/index.js'
import { testClient } from './support/s3.js'

describeStoragePort('storage-s3 on the S3-compatible server', async () => {
  const client = testClient()
  const parent = `contract-${randomUUID()}/`
  const prefix = `${parent}root/`
  const bucket = s3().bucket
  return {
    storage: s3Storage({ client, bucket, prefix }),
    raw: {
      // Every key under the test's parent prefix: a name that escaped `prefix` would show up here.
      keys: async () => {
        const keys: string[] = []
        let token: string | undefined
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: parent, ContinuationToken: token }),
          )
          for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key)
          token = page.IsTruncated ? page.NextContinuationToken : undefined
        } while (token)
        return keys
      },
      contains: (key) => key.startsWith(prefix),
    },
    // s3rver writes an object's bytes and its metadata as two files, so concurrent PUTs of one key
    // can leave one writer's metadata on another's bytes (AWS S3 and MinIO replace both at once).
    guarantees: { metadataWithBytes: false },
    close: async () => client.destroy(),
  }
})
