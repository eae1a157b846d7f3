/**
 * `@opencode-kit/storage-s3`: message attachments on AWS S3 and S3-compatible stores (MinIO, R2, …)
 * — streamed multipart uploads, atomic replace, safe keys, presigned downloads.
 */
export { keySegment } from './objectKey.js'
export { S3Storage, type S3StorageOptions, s3Storage } from './S3Storage.js'
