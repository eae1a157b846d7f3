import { mkdirSync, statSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/index.js'
import { sandboxDirectoryFor } from '../../src/sandbox/index.js'
import { tempDir } from './support.js'

describe('sandboxDirectoryFor (the fail-closed per-conversation directory)', () => {
  it('creates <realpath(root)>/<id> with mode 0700 and returns it; idempotent', async () => {
    const base = tempDir()
    mkdirSync(join(base, 'real'))
    symlinkSync(join(base, 'real'), join(base, 'root-link'))
    const dir = await sandboxDirectoryFor({ root: join(base, 'root-link'), id: 42 })
    expect(dir).toBe(join(base, 'real', '42'))
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(await sandboxDirectoryFor({ root: join(base, 'root-link'), id: 42 })).toBe(dir)
  })

  it.each(['../x', 'a/b', '', '..', 'a b', 'x\u0000'])('refuses the identifier %j', async (id) => {
    await expect(sandboxDirectoryFor({ root: tempDir(), id })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('refuses a root inside a Git worktree', async () => {
    const base = tempDir()
    mkdirSync(join(base, '.git'))
    await expect(sandboxDirectoryFor({ root: join(base, 'sandboxes'), id: 'c1' })).rejects.toThrow(
      /outside every Git worktree/,
    )
  })

  it('refuses a conversation directory that is a symlink (escapes its root)', async () => {
    const root = tempDir()
    const elsewhere = tempDir()
    symlinkSync(elsewhere, join(root, 'c2'))
    await expect(sandboxDirectoryFor({ root, id: 'c2' })).rejects.toThrow(/escapes its root/)
  })
})
