import { createHash } from 'node:crypto'

/** Longest encoded name kept readable; longer ones become a hash (file systems cap names at 255 bytes). */
const MAX_READABLE = 120

/**
 * One path segment for an arbitrary string (a message id, a filename): lowercase letters, digits,
 * `-` and inner dots stay as they are (`notes.md` is `notes.md` on disk), every other UTF-8 byte
 * (uppercase included, and a leading or trailing dot) becomes `_xx`. So `..`, `.`, hidden names,
 * `/`, NUL, unicode and case-insensitive file systems can neither escape the root nor make two
 * names collide. Long names become `~<sha256>` (the real name lives in the sidecar).
 */
export function safeName(value: string): string {
  const bytes = new TextEncoder().encode(value)
  let out = ''
  bytes.forEach((byte, i) => {
    const innerDot = byte === 0x2e && i > 0 && i < bytes.length - 1
    const plain =
      (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || innerDot
    out += plain ? String.fromCharCode(byte) : `_${byte.toString(16).padStart(2, '0')}`
  })
  if (out.length === 0) return '_'
  return out.length > MAX_READABLE ? `~${createHash('sha256').update(value).digest('hex')}` : out
}
