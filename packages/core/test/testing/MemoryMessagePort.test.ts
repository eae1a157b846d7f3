import { describe, expect, it } from 'vitest'
import { MemoryMessagePort } from '../../src/testing/index.js'

describe('MemoryMessagePort: rows are isolated like a database row', () => {
  it('what a caller passes or gets back can be mutated without touching the stored row', async () => {
    const messages = new MemoryMessagePort()
    const { id } = messages.insert()
    const parts = [{ type: 'text', content: 'hello' }]
    const toolCalls = [{ type: 'tool', tool: 'bash', status: 'completed', input: { command: 'ls' } }]
    expect(await messages.finalize(id, { content: 'hello', parts, toolCalls })).toBe(true)
    parts[0]!.content = 'changed by the caller'
    parts.push({ type: 'text', content: 'more' })
    toolCalls[0]!.input.command = 'rm -rf /'

    const loaded = await messages.load(id)
    expect(loaded.parts).toEqual([{ type: 'text', content: 'hello' }])
    expect(loaded.toolCalls).toEqual([
      { type: 'tool', tool: 'bash', status: 'completed', input: { command: 'ls' } },
    ])
    ;(loaded.parts as unknown as Array<{ content: string }>)[0]!.content = 'changed by a reader'
    expect((await messages.load(id)).parts).toEqual([{ type: 'text', content: 'hello' }])
  })

  it('dates are copied, not shared; a function in a row is rejected as structuredClone rejects it', async () => {
    const messages = new MemoryMessagePort()
    const at = new Date('2026-01-01T00:00:00Z')
    const { id } = messages.insert({ lastActivityAt: at })
    const loaded = await messages.load(id)
    expect(loaded.lastActivityAt).toEqual(at)
    expect(loaded.lastActivityAt).not.toBe(at)
    await expect(
      messages.update(id, { parts: [{ type: 'text', content: 'x', render: () => 'x' } as never] }),
    ).rejects.toThrow()
  })

  it('a streamed part whose content is an accessor is stored as its value', async () => {
    const messages = new MemoryMessagePort()
    const { id } = messages.insert()
    let reads = 0
    const part = {
      type: 'text',
      get content() {
        reads++
        return 'joined'
      },
    }
    Object.defineProperty(part, 'content', { enumerable: true })
    await messages.snapshot(id, { content: 'joined', reasoning: null, parts: [part as never] })
    const stored = (await messages.load(id)).parts as Array<Record<string, unknown>>
    expect(stored).toEqual([{ type: 'text', content: 'joined' }])
    expect(Object.getOwnPropertyDescriptor(stored[0], 'content')?.get).toBeUndefined()
    expect(reads).toBe(1)
  })
})
