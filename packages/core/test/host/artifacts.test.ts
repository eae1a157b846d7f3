import diagnosticsChannel from 'node:diagnostics_channel'
import { describe, expect, it } from 'vitest'
import type { AttachmentInfo } from '../../src/adapter/index.js'
import { Impostor } from '../../src/host/Impostor.js'
import { defineTransform, TransformError } from '../../src/index.js'
import { Artifact, Exchange } from '../../src/sandbox/index.js'
import { MemoryStorage } from '../../src/testing/index.js'
import type { OpencodeMessage } from '../../src/wire/index.js'

const renderTransform = (trusted?: (attachment: AttachmentInfo) => boolean) =>
  defineTransform({
    sourceFilename: 'agent-output.json',
    destinationFilename: 'rendered.html',
    render: () => ({ content: '<p>ok</p>', metadata: { trust: 'host_rendered' } }),
    trusted,
  })

const write = (filePath: string, content: string, status = 'completed') => ({
  type: 'tool',
  tool: 'write',
  state: { status, input: { filePath, content } },
})
const assistant = (parts: unknown[]): OpencodeMessage =>
  ({ info: { role: 'assistant' }, parts }) as OpencodeMessage

describe('Artifact (host-layer §2.5)', () => {
  it('artifact_test 1-3: readers return what was given; metadata defaults to {}', () => {
    const artifact = new Artifact({ filename: 'notes.md', content: 'hi', contentType: 'text/markdown' })
    expect([artifact.filename, new TextDecoder().decode(artifact.content), artifact.contentType]).toEqual([
      'notes.md',
      'hi',
      'text/markdown',
    ])
    expect(artifact.metadata).toEqual({})
    expect(
      new Artifact({ filename: 'a', content: '', metadata: { trust: 'host_rendered' } }).metadata.trust,
    ).toBe('host_rendered')
  })

  it('attachTo is idempotent by filename: true the first time, false (nothing written) after', async () => {
    const storage = new MemoryStorage()
    const artifact = new Artifact({ filename: 'notes.md', content: 'v1' })
    expect(await artifact.attachTo(storage, 1)).toBe(true)
    expect(await new Artifact({ filename: 'notes.md', content: 'v2' }).attachTo(storage, 1)).toBe(false)
    const listed = await storage.list(1)
    expect(listed.map((a) => [a.filename, a.size, a.contentType])).toEqual([['notes.md', 2, 'text/markdown']])
  })

  it('value equality compares all four fields', () => {
    const a = new Artifact({ filename: 'x.txt', content: 'same', metadata: { k: 'v' } })
    expect(a.equals(new Artifact({ filename: 'x.txt', content: 'same', metadata: { k: 'v' } }))).toBe(true)
    expect(a.equals(new Artifact({ filename: 'x.txt', content: 'diff', metadata: { k: 'v' } }))).toBe(false)
    expect(a.equals({ filename: 'x.txt' })).toBe(false)
  })
})

describe('Exchange (host-layer §2.4)', () => {
  it('exchange_test 1-3: empty, null and exclude-only exchanges give no artifacts', () => {
    expect(new Exchange([]).toolArtifacts()).toEqual([])
    expect(new Exchange(null).toolArtifacts()).toEqual([])
    expect(new Exchange([]).toolArtifacts({ exclude: ['notes.md'] })).toEqual([])
  })

  it('extracts completed write tools of assistant messages (basename, first wins), minus excluded names', () => {
    const messages = [
      { info: { role: 'user' }, parts: [write('/p/user.md', 'no')] } as OpencodeMessage,
      assistant([
        write('/p/a/notes.md', 'first'),
        write('/p/b/notes.md', 'second'),
        write('/p/x.md', 'running', 'running'),
        write('/p/rendered.html', 'evil'),
      ]),
    ]
    const artifacts = new Exchange(messages).toolArtifacts({ exclude: ['rendered.html'] })
    expect(artifacts.map((a) => [a.filename, new TextDecoder().decode(a.content)])).toEqual([
      ['notes.md', 'first'],
    ])
  })

  it('emits opencode.apply_patch.artifacts_dropped once per completed apply_patch part with non-delete files', () => {
    const seen: Array<[string, Record<string, unknown>]> = []
    const published: unknown[] = []
    const subscriber = (message: unknown) => published.push(message)
    diagnosticsChannel.subscribe('opencode.apply_patch.artifacts_dropped', subscriber)
    const patch = (files: unknown[]) => ({
      type: 'tool',
      tool: 'apply_patch',
      messageID: 'msg_1',
      sessionID: 'ses_1',
      state: { status: 'completed', metadata: { files } },
    })
    new Exchange([
      assistant([
        patch([
          { type: 'add', relativePath: 'a.md' },
          { type: 'delete', relativePath: 'b.md' },
          { type: 'update', relativePath: 'c.md' },
        ]),
        patch([{ type: 'delete', relativePath: 'gone.md' }]),
      ]),
    ]).toolArtifacts({
      hooks: {
        onTrace: (name, payload) => {
          seen.push([name, payload])
        },
      },
    })
    expect(seen).toEqual([
      [
        'apply_patch.artifacts_dropped',
        {
          fileCount: 2,
          relativePaths: ['a.md', 'c.md'],
          messageId: 'msg_1',
          sessionId: 'ses_1',
          reason: expect.stringContaining(
            'apply_patch v1.15+ metadata does not include post-write file content',
          ),
        },
      ],
    ])
    diagnosticsChannel.unsubscribe('opencode.apply_patch.artifacts_dropped', subscriber)
    expect(published).toEqual([seen[0]?.[1]])
  })
})

describe('Transform (host-layer §2.7)', () => {
  it('transform_test 4-8: defaults, appliesTo by source name, trusted fails closed, owned names', () => {
    const transform = renderTransform()
    expect(transform.purgeImpostors).toBe(false)
    expect(transform.appliesTo({ basename: 'agent-output.json' })).toBe(true)
    expect(transform.appliesTo({ basename: 'something-else.json' })).toBe(false)
    const attachment: AttachmentInfo = {
      messageId: 1,
      filename: 'rendered.html',
      size: 1,
      contentType: 'text/html',
      metadata: {},
    }
    expect(transform.trusted(attachment)).toBe(false)
    expect(transform.ownedFilenames).toEqual(['agent-output.json', 'rendered.html'])
    expect(new TransformError('skip')).toBeInstanceOf(Error)
    expect(new TransformError('skip').code).toBe('transform')
  })
})

describe('Impostor (host-layer §2.8)', () => {
  it('impostor_test 3: finds untrusted attachments under the destination name, and purges them', async () => {
    const storage = new MemoryStorage()
    await storage.attach(7, {
      filename: 'rendered.html',
      body: new TextEncoder().encode('<script>'),
      contentType: 'text/html',
    })
    await storage.attach(7, { filename: 'other.md', body: new Uint8Array([1]), contentType: 'text/markdown' })
    const impostors = await Impostor.for({ storage, messageId: 7, transform: renderTransform() })
    expect(impostors.map((i) => i.filename)).toEqual(['rendered.html'])
    await impostors[0]?.purge()
    expect((await storage.list(7)).map((a) => a.filename)).toEqual(['other.md'])
  })

  it('a trusted attachment under the destination name is not an impostor', async () => {
    const trusting = renderTransform((a) => a.metadata.trust === 'host_rendered')
    const storage = new MemoryStorage()
    await storage.attach(8, {
      filename: 'rendered.html',
      body: new Uint8Array([1]),
      contentType: 'text/html',
      metadata: { trust: 'host_rendered' },
    })
    expect(await Impostor.for({ storage, messageId: 8, transform: trusting })).toEqual([])
  })
})
