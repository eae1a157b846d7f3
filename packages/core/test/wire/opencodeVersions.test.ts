import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  checkOpencodeVersion,
  compareOpencodeVersions,
  parseOpencodeVersion,
  SUPPORTED_OPENCODE_VERSIONS,
} from '../../src/wire/index.js'

const repo = join(__dirname, '..', '..', '..', '..')
const matrix = JSON.parse(readFileSync(join(repo, 'e2e', 'matrix.json'), 'utf8')) as {
  pinned: string
  lines: Record<string, string>
}

describe('SUPPORTED_OPENCODE_VERSIONS', () => {
  it('lists exactly the releases the version matrix runs (e2e/matrix.json), each with recorded fixtures', () => {
    expect([...SUPPORTED_OPENCODE_VERSIONS.tested]).toEqual(Object.values(matrix.lines))
    for (const version of SUPPORTED_OPENCODE_VERSIONS.tested) {
      expect(
        existsSync(join(repo, 'packages', 'core', 'test', 'fixtures', `opencode-${version}`)),
        version,
      ).toBe(true)
    }
  })

  it('every tested release and the pinned one are inside the range', () => {
    for (const version of [...SUPPORTED_OPENCODE_VERSIONS.tested, matrix.pinned]) {
      expect(checkOpencodeVersion(version), version).toEqual({ status: 'supported', version })
    }
  })
})

describe('checkOpencodeVersion', () => {
  it('says older, newer or unknown with a message naming the range', () => {
    expect(checkOpencodeVersion('1.3.2')).toMatchObject({
      status: 'older',
      message: expect.stringContaining('>= 1.14.0 < 1.19.0'),
    })
    expect(checkOpencodeVersion('1.13.99').status).toBe('older')
    expect(checkOpencodeVersion('1.14.0').status).toBe('supported')
    expect(checkOpencodeVersion('1.18.99').status).toBe('supported')
    expect(checkOpencodeVersion('1.19.0')).toMatchObject({
      status: 'newer',
      message: expect.stringContaining('1.19.0'),
    })
    expect(checkOpencodeVersion('2.0.1').status).toBe('newer')
    expect(checkOpencodeVersion('0.0.0-dev-202609212252').status).toBe('unknown')
    expect(checkOpencodeVersion('').status).toBe('unknown')
  })

  it('compares numerically, not as strings', () => {
    expect(
      compareOpencodeVersions(parseOpencodeVersion('1.9.0')!, parseOpencodeVersion('1.14.0')!),
    ).toBeLessThan(0)
    expect(
      compareOpencodeVersions(parseOpencodeVersion('v1.18.10')!, parseOpencodeVersion('1.18.9')!),
    ).toBeGreaterThan(0)
    expect(parseOpencodeVersion('1.18')).toBeUndefined()
  })
})
