import { createHash } from 'node:crypto'

/**
 * Encoded segments longer than this become a hash: S3 allows 1024-byte keys, but file-backed
 * S3-compatible servers (MinIO, s3rver) cap each `/`-separated segment at 255 bytes.
 */
const MAX_SEGMENT = 200

/**
 * One key segment for an arbitrary string: percent-encoding of everything but `A-Z a-z 0-9 - _`
 * (dots included, so `.` and `..` never appear as segments; `%` included, so it is injective).
 * Long values become `~<sha256>`; the real name travels in the object's metadata.
 */
export function keySegment(value: string): string {
  const encoded = encodeURIComponent(value).replace(
    /[.!~*'()]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  if (encoded.length === 0) return '%'
  return encoded.length > MAX_SEGMENT ? `~${createHash('sha256').update(value).digest('hex')}` : encoded
}
