/**
 * The OpenCode server releases opencode-kit supports: every line from `minimum` up to (not
 * including) `below`, each proven by the version matrix (`npm run test:matrix`) on the newest
 * release of the line listed in `tested`. The compatibility table (docs/compatibility.md) shows
 * each line × scenario.
 *
 * @example
 * ```ts
 * import { SUPPORTED_OPENCODE_VERSIONS } from '@opencode-kit/core/wire'
 * console.log(`needs OpenCode >= ${SUPPORTED_OPENCODE_VERSIONS.minimum} < ${SUPPORTED_OPENCODE_VERSIONS.below}`)
 * ```
 */
export const SUPPORTED_OPENCODE_VERSIONS = {
  /** The oldest supported release. */
  minimum: '1.14.0',
  /** The first release past the supported range (the next line nobody has tested yet). */
  below: '1.19.0',
  /** The releases the version matrix runs: the newest of each supported line. */
  tested: ['1.14.48', '1.15.13', '1.17.19', '1.18.34'],
} as const

/** What {@link checkOpencodeVersion} says about a server's version. */
export type OpencodeVersionCheck =
  | { status: 'supported'; version: string }
  /** Newer than the supported range: probably fine, but nobody has run the matrix on it. */
  | { status: 'newer'; version: string; message: string }
  /** Older than the supported range. */
  | { status: 'older'; version: string; message: string }
  /** Not a `major.minor.patch` release (a dev build, a fork): nothing can be said. */
  | { status: 'unknown'; version: string; message: string }

/** `[major, minor, patch]` of a plain release version, else undefined (pre-releases included). */
export function parseOpencodeVersion(version: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(version.trim())
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined
}

/** Negative, zero or positive as release `a` is older than, equal to or newer than `b`. */
export function compareOpencodeVersions(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/**
 * Is this server version (as `GET /global/health` reports it) inside
 * {@link SUPPORTED_OPENCODE_VERSIONS}? The messages say what to do about it.
 *
 * @example
 * ```ts
 * const check = checkOpencodeVersion((await client.health()).version ?? '')
 * if (check.status !== 'supported') console.warn(check.message)
 * ```
 */
export function checkOpencodeVersion(version: string): OpencodeVersionCheck {
  const { minimum, below } = SUPPORTED_OPENCODE_VERSIONS
  const range = `>= ${minimum} < ${below}`
  const parsed = parseOpencodeVersion(version)
  if (!parsed) {
    return {
      status: 'unknown',
      version,
      message: `OpenCode server version "${version}" is not a release version; opencode-kit supports ${range}`,
    }
  }
  if (compareOpencodeVersions(parsed, parseOpencodeVersion(minimum)!) < 0) {
    return {
      status: 'older',
      version,
      message: `OpenCode server ${version} is older than the supported range (${range}): upgrade the server`,
    }
  }
  if (compareOpencodeVersions(parsed, parseOpencodeVersion(below)!) >= 0) {
    return {
      status: 'newer',
      version,
      message: `OpenCode server ${version} is newer than the tested range (${range}); it may work — report what differs`,
    }
  }
  return { status: 'supported', version }
}
