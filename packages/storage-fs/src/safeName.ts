import { createHash } from 'node:crypto'

/** Longest encoded name kept readable; longer ones become a hash (file systems cap names at 255 bytes). */
const MAX_READABLE = 120

/**
 * One path segment for an arbitrary string (a message id, a filename): lowercase letters, digits
 * and `-` stay as they are, every other UTF-8 byte (uppercase included) becomes `_xx`. So `..`,
 * `/`, NUL, unicode and case-insensitive file systems can neither escape the root nor make two names
 * collide. Long names become `~<sha256>` (the real name lives in the sidecar).
 */
export function safeName(value: string): string {
  let out = ''
  for (const byte of new TextEncoder().encode(value)) {
    const plain = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d
    out += plain ? String.fromCharCode(byte) : `_${byte.toString(16).padStart(2, '0')}`
  }
  if (out.length === 0) return '_'
  return out.length > MAX_READABLE ? `~${createHash('sha256').update(value).digest('hex')}` : out
}
