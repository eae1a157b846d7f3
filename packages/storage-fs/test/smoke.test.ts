// Smoke: a real temp directory round-trips a file written with the temp-file + rename pattern
// the fs storage relies on.
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

describe('smoke: filesystem', () => {
  it('writes a file atomically (temp + rename) and reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'storage-fs-smoke-'))
    try {
      await writeFile(join(dir, '.notes.md.tmp'), '# Notes\n')
      await rename(join(dir, '.notes.md.tmp'), join(dir, 'notes.md'))
      expect(await readFile(join(dir, 'notes.md'), 'utf8')).toBe('# Notes\n')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
