// UploadedFilesPrompt: hardened copies of user uploads into the sandbox (host-layer §2.11,
// uploaded_files_prompt_test.rb), on a real file system.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/index.js'
import { type UploadedFile, UploadedFilesPrompt } from '../../src/sandbox/index.js'
import { tempDir } from './support.js'

const upload = (filename: string, text: string, contentType = 'text/plain'): UploadedFile => ({
  filename,
  contentType,
  byteSize: new TextEncoder().encode(text).byteLength,
  download: () => new TextEncoder().encode(text),
})

const create = (sandboxPath: string, files: UploadedFile[], name: (f: UploadedFile) => string, extra = {}) =>
  UploadedFilesPrompt.create({
    userMessage: { content: 'Please summarize', files },
    sandboxPath,
    sandboxNameFor: name,
    ...extra,
  })

const rejects = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(InvalidArgumentError)
  return error as InvalidArgumentError
}

const noTempFiles = (dir: string) =>
  expect(readdirSync(dir).filter((f) => f.startsWith('.opencode-upload-'))).toEqual([])

describe('UploadedFilesPrompt (uploaded_files_prompt_test.rb)', () => {
  it('uploaded_files_prompt_test 2: no uploads → the text as it is, no names', async () => {
    const prompt = await UploadedFilesPrompt.create({
      userMessage: { content: 'hello world', files: [] },
      sandboxPath: tempDir(),
      sandboxNameFor: () => 'x',
    })
    expect(prompt.text).toBe('hello world')
    expect(prompt.sandboxFileNames).toEqual({})
  })

  it('uploaded_files_prompt_test 4: the upload is copied under its sandbox name; the prompt names it', async () => {
    const dir = tempDir()
    const prompt = await create(dir, [upload('notes.txt', 'hello')], () => 'upload.txt')
    expect(readFileSync(join(dir, 'upload.txt'), 'utf8')).toBe('hello')
    expect(prompt.text).toBe(
      'Please summarize\n\nThe user uploaded 1 file. Read each file thoroughly before responding:\nnotes.txt -> upload.txt (text/plain, 5 bytes)',
    )
    expect(prompt.text).not.toMatch(/legal claims|reference materials/)
    expect(prompt.sandboxFileNames).toEqual({ 'upload.txt': 'notes.txt' })
    noTempFiles(dir)
  })

  it('uploaded_files_prompt_test 5: "../foobar/target.txt" is refused and the sibling is untouched', async () => {
    const base = tempDir()
    mkdirSync(join(base, 'foobar'))
    writeFileSync(join(base, 'foobar', 'target.txt'), 'safe')
    await rejects(create(join(base, 'foo'), [upload('x.txt', 'evil')], () => '../foobar/target.txt'))
    expect(readFileSync(join(base, 'foobar', 'target.txt'), 'utf8')).toBe('safe')
  })

  it.each(['a/b', 'a/', '.', '..', '', 'nul\u0000byte', 'back\\slash'])(
    'refuses the sandbox name %j',
    async (name) => {
      const dir = tempDir()
      await rejects(create(dir, [upload('x.txt', 'x')], () => name))
      expect(readdirSync(dir)).toEqual([])
    },
  )

  it('uploaded_files_prompt_test 6: a destination symlink to an outside file is replaced, never followed', async () => {
    const base = tempDir()
    const dir = join(base, 'sandbox')
    mkdirSync(dir)
    writeFileSync(join(base, 'outside.txt'), 'safe')
    symlinkSync(join(base, 'outside.txt'), join(dir, 'upload.txt'))
    await create(dir, [upload('x.txt', 'overwritten')], () => 'upload.txt')
    expect(readFileSync(join(base, 'outside.txt'), 'utf8')).toBe('safe')
    expect(readFileSync(join(dir, 'upload.txt'), 'utf8')).toBe('overwritten')
    expect(lstatSync(join(dir, 'upload.txt')).isSymbolicLink()).toBe(false)
  })

  it('uploaded_files_prompt_test 7: a retry replaces a stale copy', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'upload.txt'), 'stale')
    await create(dir, [upload('x.txt', 'fresh')], () => 'upload.txt')
    expect(readFileSync(join(dir, 'upload.txt'), 'utf8')).toBe('fresh')
  })

  it('uploaded_files_prompt_test 8: the root swapped during the copy → refused, the file lands nowhere', async () => {
    const base = tempDir()
    const dir = join(base, 'sandbox')
    const moved = join(base, 'moved')
    mkdirSync(dir)
    await rejects(
      create(dir, [upload('x.txt', 'data')], () => 'upload.txt', {
        beforeWrite: () => {
          renameSync(dir, moved)
          mkdirSync(dir)
        },
      }),
    )
    expect(existsSync(join(dir, 'upload.txt'))).toBe(false)
    expect(existsSync(join(moved, 'upload.txt'))).toBe(false)
    noTempFiles(moved)
    noTempFiles(dir)
  })

  it('a symlinked sandbox root is refused', async () => {
    const base = tempDir()
    mkdirSync(join(base, 'real'))
    symlinkSync(join(base, 'real'), join(base, 'link'))
    await rejects(create(join(base, 'link'), [upload('x.txt', 'x')], () => 'x.txt'))
    expect(readdirSync(join(base, 'real'))).toEqual([])
  })

  it('uploaded_files_prompt_test 9: a new upload gets 0o666 & ~umask', async () => {
    const dir = tempDir()
    await create(dir, [upload('x.txt', 'x')], () => 'new.txt')
    expect(statSync(join(dir, 'new.txt')).mode & 0o777).toBe(0o666 & ~process.umask())
  })

  it('uploaded_files_prompt_test 10: a retry over a 0o640 file keeps 0o640', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'kept.txt'), 'old', { mode: 0o640 })
    await create(dir, [upload('x.txt', 'new')], () => 'kept.txt')
    expect(statSync(join(dir, 'kept.txt')).mode & 0o777).toBe(0o640)
  })

  it('several uploads: one line each, plural sentence, unicode names', async () => {
    const dir = tempDir()
    const prompt = await create(
      dir,
      [upload('Ünïcode.md', '# hi', 'text/markdown'), upload('data.csv', 'a,b')],
      (f) => `upload-${f.filename.normalize('NFKD').replace(/[^\w.-]/g, '_')}`,
    )
    expect(prompt.text).toContain('The user uploaded 2 files.')
    expect(Object.keys(prompt.sandboxFileNames).sort()).toEqual(
      ['upload-U_ni_code.md', 'upload-data.csv'].sort(),
    )
  })

  it('a failing download leaves no temp file behind', async () => {
    const dir = tempDir()
    const broken: UploadedFile = {
      filename: 'x.txt',
      contentType: 'text/plain',
      byteSize: 1,
      download: () => {
        throw new Error('storage down')
      },
    }
    await rejects(create(dir, [broken], () => 'x.txt'))
    noTempFiles(dir)
    expect(existsSync(join(dir, 'x.txt'))).toBe(false)
  })
})
