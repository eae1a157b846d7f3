// SandboxFile: the guarded open, on a real file system (host-layer §2.10, sandbox_file_test.rb).
import { execFileSync } from 'node:child_process'
import {
  appendFileSync,
  constants,
  linkSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Artifact, SandboxFile, UnsafeFileError } from '../../src/sandbox/index.js'
import { tempDir } from './support.js'

function world() {
  const root = tempDir()
  const sandbox = join(root, 'sandbox')
  mkdirSync(sandbox)
  const outside = join(root, 'secret.txt')
  writeFileSync(outside, 'TOP SECRET')
  const path = join(sandbox, 'notes.md')
  writeFileSync(path, '# Notes\n')
  const file = (options: Partial<ConstructorParameters<typeof SandboxFile>[0]> = {}) =>
    new SandboxFile({ path, root: `${sandbox}/`, ...options })
  return { root, sandbox, outside, path, file }
}

const rejection = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UnsafeFileError)
  return error as UnsafeFileError
}

describe('SandboxFile (sandbox_file_test.rb)', () => {
  it('sandbox_file_test 1: a small file inside: basename, size, content, safe', async () => {
    const { file } = world()
    const f = file()
    expect(f.basename).toBe('notes.md')
    expect(await f.size()).toBeGreaterThan(0)
    expect(new TextDecoder().decode(await f.content())).toBe('# Notes\n')
    expect(await f.safe()).toBe(true)
  })

  it('sandbox_file_test 2: content type from the filename', () => {
    expect(world().file().contentType).toMatch(/markdown|text/)
  })

  it('sandbox_file_test 3: a file over max_bytes is not safe', async () => {
    const f = world().file({ maxBytes: 5 })
    expect(await f.safe()).toBe(false)
    expect((await f.problem())?.reason).toBe('too_large')
  })

  it('sandbox_file_test 4: as_artifact gives an Artifact with the name and bytes', async () => {
    const artifact = await world().file().asArtifact()
    expect(artifact).toBeInstanceOf(Artifact)
    expect(artifact.filename).toBe('notes.md')
    expect(new TextDecoder().decode(artifact.content)).toBe('# Notes\n')
  })

  it('sandbox_file_test 5: safe, then replaced by a symlink to an outside file: content refuses', async () => {
    const { file, path, outside } = world()
    const f = file()
    expect(await f.safe()).toBe(true)
    unlinkSync(path)
    symlinkSync(outside, path)
    expect((await rejection(f.content())).reason).toBe('symlink')
  })

  it('sandbox_file_test 6: a hard link to an outside file (link count 2) is not safe', async () => {
    const { file, path, outside } = world()
    unlinkSync(path)
    linkSync(outside, path)
    expect((await file().problem())?.reason).toBe('hard_link')
  })

  it('sandbox_file_test 7: a hard link made right before open (nlink changes between lstat and fstat)', async () => {
    const { file, path, root } = world()
    const f = file({ beforeOpen: () => linkSync(path, join(root, 'other-link')) })
    expect((await rejection(f.content())).reason).toBe('changed')
  })

  it('sandbox_file_test 8: a file that grows past the cap while read', async () => {
    const { file, path } = world()
    writeFileSync(path, 'x'.repeat(20))
    const f = file({ maxBytes: 20, beforeOpen: () => appendFileSync(path, 'y'.repeat(100)) })
    // The fstat after open sees 120 bytes: refused before reading.
    expect((await rejection(f.content())).reason).toBe('too_large')
  })

  it('sandbox_file_test 8b: growth after the open is caught by the bounded read', async () => {
    const { path, sandbox } = world()
    writeFileSync(path, 'x'.repeat(20))
    // A reader that appends while reading: the read loop never returns more than max_bytes.
    const f = new SandboxFile({ path, root: `${sandbox}/`, maxBytes: 64 * 1024 + 10 })
    writeFileSync(path, 'x'.repeat(64 * 1024))
    const reading = f.content()
    appendFileSync(path, 'y'.repeat(100))
    const result = await reading.then(
      (bytes) => bytes.byteLength,
      (e: unknown) => e,
    )
    if (typeof result === 'number') expect(result).toBeLessThanOrEqual(64 * 1024 + 10)
    else expect((result as UnsafeFileError).reason).toBe('too_large')
  })

  it('sandbox_file_test 9: a FIFO swapped in right before open: refused without blocking', async () => {
    const { file, path } = world()
    const f = file({
      beforeOpen: () => {
        unlinkSync(path)
        execFileSync('mkfifo', [path])
      },
    })
    const error = await rejection(f.content())
    expect(['changed', 'not_regular', 'os_error']).toContain(error.reason)
  })

  it('sandbox_file_test 10: a symlink to an outside file swapped in right before open', async () => {
    const { file, path, outside } = world()
    const f = file({
      beforeOpen: () => {
        unlinkSync(path)
        symlinkSync(outside, path)
      },
    })
    const error = await rejection(f.content())
    expect(error.reason).toBe('os_error') // ELOOP from O_NOFOLLOW
    expect(error.message).not.toContain('TOP SECRET')
  })

  it('sandbox_file_test 11: a UNIX socket swapped in right before open is not safe', async () => {
    const { file, path } = world()
    const server = createServer()
    try {
      const f = file({
        beforeOpen: async () => {
          unlinkSync(path)
          await new Promise<void>((resolve) => server.listen(path, resolve))
        },
      })
      expect(await f.safe()).toBe(false)
    } finally {
      server.close()
    }
  })

  it('sandbox_file_test 12: a platform without O_NOFOLLOW fails closed', async () => {
    const f = world().file({ constants: { O_RDONLY: constants.O_RDONLY, O_NONBLOCK: constants.O_NONBLOCK } })
    expect(await f.safe()).toBe(false)
    expect((await f.problem())?.reason).toBe('platform')
  })

  it('sandbox_file_test 13: a zero-byte file reads as empty bytes', async () => {
    const { file, path } = world()
    writeFileSync(path, '')
    const bytes = await file().content()
    expect(bytes).toBeInstanceOf(Uint8Array)
    expect(bytes.byteLength).toBe(0)
  })

  it('a path whose realpath leaves the root (a symlinked parent) is refused', async () => {
    const { root, sandbox, outside } = world()
    const elsewhere = join(root, 'elsewhere')
    mkdirSync(elsewhere)
    writeFileSync(join(elsewhere, 'x.txt'), 'outside')
    symlinkSync(elsewhere, join(sandbox, 'link-dir'))
    const f = new SandboxFile({ path: join(sandbox, 'link-dir', 'x.txt'), root: `${sandbox}/` })
    expect((await f.problem())?.reason).toBe('escapes_root')
    expect(outside).toBeTruthy()
  })

  it('a sibling directory sharing the prefix (/sandbox vs /sandbox-2) is outside', async () => {
    const { root, sandbox } = world()
    const sibling = `${sandbox}-2`
    mkdirSync(sibling)
    writeFileSync(join(sibling, 'a.txt'), 'sibling')
    const f = new SandboxFile({ path: join(sibling, 'a.txt'), root: sandbox })
    expect((await f.problem())?.reason).toBe('escapes_root')
    rmSync(join(root, 'sandbox-2'), { recursive: true })
  })

  it('a vanished file is a typed refusal, not a crash', async () => {
    const { file, path } = world()
    renameSync(path, `${path}.gone`)
    expect((await file().problem())?.reason).toBe('os_error')
  })

  it('race: a file swapped for a symlink to a secret 500 times never yields the secret', {
    timeout: 60_000,
  }, async () => {
    const { sandbox, outside } = world()
    const path = join(sandbox, 'race.txt')
    let stop = false
    // The swapper flips the path between a safe file and a symlink to the secret as fast as it can.
    const swapper = (async () => {
      let i = 0
      while (!stop) {
        try {
          rmSync(path, { force: true })
          if (i++ % 2 === 0) writeFileSync(path, 'safe content')
          else symlinkSync(outside, path)
        } catch {
          // the reader holds it: try again
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    const seen = { safe: 0, refused: 0 }
    for (let i = 0; i < 500; i++) {
      try {
        const bytes = await new SandboxFile({ path, root: `${sandbox}/` }).content()
        const text = new TextDecoder().decode(bytes)
        expect(text).not.toContain('TOP SECRET')
        seen.safe++
      } catch (error) {
        expect(error).toBeInstanceOf(UnsafeFileError)
        seen.refused++
      }
    }
    stop = true
    await swapper
    expect(seen.safe + seen.refused).toBe(500)
  })
})
