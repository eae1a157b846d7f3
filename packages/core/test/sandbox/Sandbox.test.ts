// Sandbox scans and the security matrix on a real file system (host-layer §2.9, sandbox_test.rb).
import { execFileSync } from 'node:child_process'
import { linkSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { MessageArtifacts, Sandbox, UnsafeFileError } from '../../src/sandbox/index.js'
import type { ErrorHook } from '../../src/support/index.js'
import { MemoryStorage } from '../../src/testing/index.js'
import { tempDir } from './support.js'

const reports: { error: unknown; context?: Record<string, unknown> }[] = []
const onError: ErrorHook = (error, context) => reports.push({ error, context })
beforeEach(() => {
  reports.length = 0
})

const names = async (sandbox: Sandbox, after?: Date) => {
  const out: string[] = []
  for await (const file of sandbox.files({ after })) out.push(file.basename)
  return out
}

describe('Sandbox (sandbox_test.rb)', () => {
  it('sandbox_test 1: an existing directory: path and exists', async () => {
    const dir = tempDir()
    const sandbox = new Sandbox({ onError, path: dir })
    expect(sandbox.path).toBe(dir)
    expect(await sandbox.exists()).toBe(true)
  })

  it('sandbox_test 2: a missing path does not exist (and a blank one)', async () => {
    expect(await new Sandbox({ onError, path: join(tempDir(), 'missing') }).exists()).toBe(false)
    expect(await new Sandbox({ onError, path: ' ' }).exists()).toBe(false)
  })

  it('sandbox_test 3: an empty directory yields nothing', async () => {
    expect(await names(new Sandbox({ onError, path: tempDir() }))).toEqual([])
  })

  it('sandbox_test 4: basenames sorted', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'notes.md'), 'n')
    writeFileSync(join(dir, 'map.md'), 'm')
    expect(await names(new Sandbox({ onError, path: dir }))).toEqual(['map.md', 'notes.md'])
  })

  it('sandbox_test 5: file() answers undefined for a missing name', async () => {
    expect(await new Sandbox({ onError, path: tempDir() }).file('nope.txt')).toBeUndefined()
  })

  it('only files modified after the cutoff (minus 2 s of clock slack)', async () => {
    const dir = tempDir()
    const now = Date.now() / 1000
    writeFileSync(join(dir, 'old.txt'), 'o')
    utimesSync(join(dir, 'old.txt'), now - 60, now - 60)
    writeFileSync(join(dir, 'skewed.txt'), 's')
    utimesSync(join(dir, 'skewed.txt'), now - 1, now - 1) // written "before" the cutoff by clock skew
    writeFileSync(join(dir, 'new.txt'), 'n')
    expect(await names(new Sandbox({ onError, path: dir }), new Date())).toEqual(['new.txt', 'skewed.txt'])
  })

  it('defect 4: a symlinked sandbox root works', async () => {
    const dir = tempDir()
    const real = join(dir, 'real')
    mkdirSync(real)
    writeFileSync(join(real, 'a.txt'), 'a')
    symlinkSync(real, join(dir, 'link'))
    const sandbox = new Sandbox({ onError, path: join(dir, 'link') })
    expect(await names(sandbox)).toEqual(['a.txt'])
    const [file] = [await sandbox.file('a.txt')]
    expect(new TextDecoder().decode(await file?.content())).toBe('a')
  })
})

describe('Sandbox security matrix: every hostile entry is refused or skipped and reported, never read', () => {
  function hostileWorld() {
    const root = tempDir()
    const sandbox = join(root, 'sandbox')
    mkdirSync(sandbox)
    const secret = join(root, 'secret.txt')
    writeFileSync(secret, 'TOP SECRET')
    writeFileSync(join(sandbox, 'good.txt'), 'good')
    return { root, sandbox, secret }
  }

  it('symlink to outside, symlink inside, hard link, FIFO, socket, hidden, directory, oversized, odd names', async () => {
    const { sandbox, secret } = hostileWorld()
    symlinkSync(secret, join(sandbox, 'to-secret.txt'))
    symlinkSync(join(sandbox, 'good.txt'), join(sandbox, 'inside-link.txt'))
    linkSync(secret, join(sandbox, 'hardlink.txt'))
    execFileSync('mkfifo', [join(sandbox, 'pipe.txt')])
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(join(sandbox, 'socket.sock'), resolve))
    writeFileSync(join(sandbox, '.hidden'), 'hidden')
    mkdirSync(join(sandbox, 'subdir'))
    writeFileSync(join(sandbox, 'subdir', 'nested.txt'), 'nested')
    writeFileSync(join(sandbox, 'big.bin'), new Uint8Array(2048))
    writeFileSync(join(sandbox, 'new\nline.txt'), 'newline')
    writeFileSync(join(sandbox, 'ünïcødé ✓.md'), 'unicode')
    try {
      const scan = new Sandbox({ onError, path: sandbox, maxFileBytes: 1024 })
      const offered: Record<string, string> = {}
      for await (const file of scan.files())
        offered[file.basename] = new TextDecoder().decode(await file.content())
      expect(offered).toEqual({ 'good.txt': 'good', 'new\nline.txt': 'newline', 'ünïcødé ✓.md': 'unicode' })
      expect(JSON.stringify(offered)).not.toContain('TOP SECRET')
      const skipped = Object.fromEntries(reports.map((r) => [r.context?.file, r.context?.reason]))
      expect(skipped).toEqual({
        'big.bin': 'too_large',
        'hardlink.txt': 'hard_link',
        'inside-link.txt': 'symlink',
        'pipe.txt': 'not_regular',
        'socket.sock': 'not_regular',
        'to-secret.txt': 'symlink',
      })
      for (const report of reports) expect(report.error).toBeInstanceOf(UnsafeFileError)
    } finally {
      server.close()
    }
  })

  it('a dangling symlink is skipped and reported', async () => {
    const { sandbox } = hostileWorld()
    symlinkSync(join(sandbox, 'nowhere'), join(sandbox, 'dangling.txt'))
    expect(await names(new Sandbox({ onError, path: sandbox }))).toEqual(['good.txt'])
    expect(reports.map((r) => r.context?.file)).toEqual(['dangling.txt'])
  })

  it('traversal names never leave the root: files() only lists entries of the root itself', async () => {
    const { sandbox } = hostileWorld()
    const scan = new Sandbox({ onError, path: sandbox })
    expect(await scan.file('../secret.txt')).toBeUndefined()
    expect(await scan.file('/etc/passwd')).toBeUndefined()
  })

  it('MessageArtifacts attaches new sandbox files end to end, and skips unsafe ones', async () => {
    const { sandbox, secret } = hostileWorld()
    symlinkSync(secret, join(sandbox, 'leak.txt'))
    const storage = new MemoryStorage()
    const artifacts = new MessageArtifacts({ storage, messageId: 7 })
    await artifacts.attachFrom({
      sandbox: new Sandbox({ onError, path: sandbox }),
      cutoff: new Date(Date.now() - 60_000),
    })
    expect(artifacts.attached).toEqual(['good.txt'])
    const stream = await storage.read(7, 'good.txt')
    expect(await new Response(stream).text()).toBe('good')
  })
})
