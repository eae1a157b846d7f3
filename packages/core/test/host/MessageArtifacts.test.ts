import { beforeEach, describe, expect, it } from 'vitest'
import type { AttachmentInfo } from '../../src/adapter/index.js'
import { defineTransform, type ErrorHook, TransformError } from '../../src/index.js'
import { Artifact, MessageArtifacts, type SandboxEntry, type SandboxSource } from '../../src/sandbox/index.js'
import { MemoryStorage } from '../../src/testing/index.js'
import { assistantMessage, toolPart, userMessage } from './support/fakeTurnClient.js'

const reports: { error: unknown; context?: Record<string, unknown> }[] = []
beforeEach(() => {
  reports.length = 0
})
const onError: ErrorHook = (error, context) => {
  reports.push({ error, context })
}

/** A sandbox held in memory; counts identity conversions per file. */
class FakeSandbox implements SandboxSource {
  readonly converted: string[] = []
  constructor(
    private readonly files_: Record<string, string>,
    private readonly present = true,
  ) {}
  async exists() {
    return this.present
  }
  async *files(): AsyncIterable<SandboxEntry> {
    for (const [basename, text] of Object.entries(this.files_).sort()) {
      const converted = this.converted
      yield {
        basename,
        path: `/sandbox/${basename}`,
        contentType: 'application/octet-stream',
        content: async () => new TextEncoder().encode(text),
        asArtifact: async () => {
          converted.push(basename)
          return new Artifact({ filename: basename, content: text })
        },
      }
    }
  }
}

/** A transform that renders source.json to a trusted rendered.html, counting its renders. */
function renderTransform(purge = false, fail = false) {
  const counter = { renders: 0 }
  const transform = defineTransform({
    name: 'RenderTransform',
    sourceFilename: 'source.json',
    destinationFilename: 'rendered.html',
    purgeImpostors: purge,
    async render(file: SandboxEntry) {
      if (fail) throw new TransformError('bad json')
      counter.renders++
      const data = JSON.parse(new TextDecoder().decode(await file.content())) as { title: string }
      return { content: `<h1>${data.title}</h1>`, metadata: { trust: 'host_rendered' } }
    },
    trusted: (attachment: AttachmentInfo) => attachment.metadata.trust === 'host_rendered',
  })
  return Object.assign(counter, transform)
}

const names = async (storage: MemoryStorage, id: number) => (await storage.list(id)).map((a) => a.filename)

describe('MessageArtifacts (host-layer §2.6, message_artifacts_test.rb)', () => {
  it('message_artifacts_test 3: an agent-written file under a transform destination never goes down the identity path', async () => {
    const storage = new MemoryStorage()
    const sandbox = new FakeSandbox({ 'rendered.html': '<script>evil()</script>' })
    await new MessageArtifacts({
      onError,
      storage,
      messageId: 1,
      transforms: [renderTransform()],
    }).attachFrom({
      sandbox,
    })
    expect(sandbox.converted).toEqual([])
    expect(await names(storage, 1)).toEqual([])
  })

  it('attaches write-tool files from the exchange, minus transform-owned names', async () => {
    const storage = new MemoryStorage()
    const exchange = [
      assistantMessage({
        parts: [
          toolPart('write', { filePath: '/p/notes.md', content: '# n' }),
          { ...toolPart('write', { filePath: '/p/rendered.html', content: 'x' }), id: 'prt_2' },
        ],
      }),
    ]
    const artifacts = new MessageArtifacts({
      onError,
      storage,
      messageId: 1,
      transforms: [renderTransform()],
    })
    await artifacts.attachFrom({ exchange })
    expect(artifacts.attached).toEqual(['notes.md'])
    expect(await names(storage, 1)).toEqual(['notes.md'])
  })

  it('routes the source file through its transform; identity-attaches other files; skips upload echoes', async () => {
    const storage = new MemoryStorage()
    const sandbox = new FakeSandbox({
      'source.json': '{"title":"Trip"}',
      'report.csv': 'a,b',
      'upload.pdf': '%PDF',
    })
    const transform = renderTransform()
    await new MessageArtifacts({ onError, storage, messageId: 1, transforms: [transform] }).attachFrom({
      sandbox,
      uploadEcho: ['upload.pdf'],
    })
    expect(await names(storage, 1)).toEqual(['rendered.html', 'report.csv'])
    expect(sandbox.converted).toEqual(['report.csv'])
    const rendered = (await storage.list(1)).find((a) => a.filename === 'rendered.html')
    expect(rendered?.metadata).toEqual({ trust: 'host_rendered' })
  })

  it('is idempotent when retried: a trusted render present short-circuits, files are not duplicated', async () => {
    const storage = new MemoryStorage()
    const sandbox = new FakeSandbox({ 'source.json': '{"title":"Trip"}', 'report.csv': 'a,b' })
    const transform = renderTransform()
    for (let i = 0; i < 3; i++) {
      await new MessageArtifacts({ onError, storage, messageId: 1, transforms: [transform] }).attachFrom({
        sandbox,
      })
    }
    expect(transform.renders).toBe(1)
    expect(await names(storage, 1)).toEqual(['rendered.html', 'report.csv'])
  })

  it('purges impostors under the destination name before rendering when the transform asks for it', async () => {
    const storage = new MemoryStorage()
    await storage.attach(1, {
      filename: 'rendered.html',
      body: new TextEncoder().encode('fake'),
      contentType: 'text/html',
    })
    const sandbox = new FakeSandbox({ 'source.json': '{"title":"Real"}' })
    await new MessageArtifacts({
      onError,
      storage,
      messageId: 1,
      transforms: [renderTransform(true)],
    }).attachFrom({ sandbox })
    const [only] = await storage.list(1)
    expect(only?.metadata).toEqual({ trust: 'host_rendered' })
  })

  it('without purging, an impostor keeps the name and the render is not attached (false)', async () => {
    const storage = new MemoryStorage()
    await storage.attach(1, {
      filename: 'rendered.html',
      body: new TextEncoder().encode('fake'),
      contentType: 'text/html',
    })
    const sandbox = new FakeSandbox({ 'source.json': '{"title":"Real"}' })
    const artifacts = new MessageArtifacts({
      onError,
      storage,
      messageId: 1,
      transforms: [renderTransform(false)],
    })
    await artifacts.attachFrom({ sandbox })
    expect(artifacts.attached).toEqual([])
    expect((await storage.list(1))[0]?.metadata).toEqual({})
  })

  it('a TransformError is reported under transform_<Class> and the scan goes on', async () => {
    const storage = new MemoryStorage()
    const sandbox = new FakeSandbox({ 'source.json': 'not json', 'z.txt': 'z' })
    await new MessageArtifacts({
      onError,
      storage,
      messageId: 7,
      feature: 'trips',
      transforms: [renderTransform(false, true)],
    }).attachFrom({ sandbox })
    expect(reports[0]?.context).toEqual({
      feature: 'trips',
      severity: 'warning',
      action: 'transform_RenderTransform',
      messageId: 7,
    })
    expect(await names(storage, 7)).toEqual(['z.txt'])
  })

  it("default_attach 'none' attaches only what transforms render", async () => {
    const storage = new MemoryStorage()
    const sandbox = new FakeSandbox({ 'source.json': '{"title":"T"}', 'report.csv': 'a' })
    await new MessageArtifacts({
      onError,
      storage,
      messageId: 1,
      transforms: [renderTransform()],
      defaultAttach: 'none',
    }).attachFrom({ sandbox })
    expect(await names(storage, 1)).toEqual(['rendered.html'])
  })

  it('caps newly attached sandbox files per call; already attached files do not count', async () => {
    const storage = new MemoryStorage()
    const files = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`f${String(i).padStart(2, '0')}.txt`, 'x']),
    )
    const sandbox = new FakeSandbox(files)
    await new MessageArtifacts({ onError, storage, messageId: 1, maxSandboxFiles: 20 }).attachFrom({
      sandbox,
    })
    expect(await names(storage, 1)).toHaveLength(20)
    await new MessageArtifacts({ onError, storage, messageId: 1, maxSandboxFiles: 20 }).attachFrom({
      sandbox,
    })
    expect(await names(storage, 1)).toHaveLength(30)
  })

  it('a missing sandbox is a no-op; a failing storage is reported, never thrown', async () => {
    const storage = new MemoryStorage()
    await new MessageArtifacts({ onError, storage, messageId: 1 }).attachFrom({
      sandbox: new FakeSandbox({ a: 'b' }, false),
    })
    expect(await names(storage, 1)).toEqual([])
    const broken = Object.create(storage) as MemoryStorage
    broken.list = async () => {
      throw new Error('disk full')
    }
    const exchange = [
      userMessage('x'),
      assistantMessage({ parts: [toolPart('write', { filePath: 'a.md', content: 'a' })] }),
    ]
    await expect(
      new MessageArtifacts({ onError, storage: broken, messageId: 1 }).attachFrom({ exchange }),
    ).resolves.toBeDefined()
    expect(reports[0]?.context?.action).toBe('attach_from_exchange')
  })
})
