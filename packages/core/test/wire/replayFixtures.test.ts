// Recorded streams of a real opencode 1.18.33 (e2e/scripts/record-fixtures.ts) replayed through
// Reply: protocol drift shows up here when the pinned OpenCode version is bumped.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  Client,
  mergeFinalExchange,
  type OpencodeEvent,
  type OpencodeMessage,
  Reply,
  type ToolPartRecord,
} from '../../src/index.js'

interface Fixture {
  scenario: string
  prompt: string
  events: OpencodeEvent[]
  messages: OpencodeMessage[]
}

const dir = join(__dirname, '..', 'fixtures', 'opencode-1.18.33')
const load = (name: string): Fixture => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'))
const replay = (fixture: Fixture) => {
  const reply = new Reply()
  for (const event of fixture.events) reply.apply(event)
  return reply
}
const FINAL = 'All done from the fake model.'

describe('Reply replays recorded real-server streams', () => {
  it('has a fixture for every scenario', () => {
    expect(readdirSync(dir).sort()).toEqual(
      [
        'abort-mid-stream',
        'llm-400',
        'llm-500-retries',
        'multi-step',
        'permission-ask',
        'plain-text',
        'reasoning',
        'todowrite',
        'write-tool',
      ].map((name) => `${name}.json`),
    )
  })

  it("defect 6: plain text — the user's own prompt part on the stream is not added to the reply", () => {
    const fixture = load('plain-text')
    expect(
      fixture.events.some(
        (e) => e.type === 'message.part.updated' && e.properties.part?.text === fixture.prompt,
      ),
    ).toBe(true)
    const reply = replay(fixture)
    expect(reply.result.fullText.trim()).toBe(FINAL)
    expect(reply.result.fullText).not.toContain(fixture.prompt)
    expect(reply.firstTextSeen).toBe(true)
  })

  it('reasoning: reasoning deltas (which say field "text") accumulate into a reasoning part', () => {
    const reply = replay(load('reasoning'))
    expect(reply.result.reasoningText.trim()).toBe('Thinking it through.')
    expect(reply.result.fullText.trim()).toBe(FINAL)
  })

  it('write tool: the tool part reaches completed with the wire field names', () => {
    const reply = replay(load('write-tool'))
    const tools = reply.result.toolParts
    expect(tools).toHaveLength(1)
    expect(tools[0]).toMatchObject({ type: 'tool', tool: 'write', status: 'completed' })
    expect((tools[0] as ToolPartRecord).input?.filePath).toMatch(/notes\.md$/)
    expect(typeof (tools[0] as ToolPartRecord).callID).toBe('string')
    expect(reply.result.fullText.trim()).toBe(FINAL)
  })

  it('defect 3: multi-step tool loop — cost and tokens are summed over every step', () => {
    const fixture = load('multi-step')
    const reply = replay(fixture)
    const assistants = fixture.messages.filter((m) => m.info.role === 'assistant')
    expect(assistants).toHaveLength(4)
    const sum = assistants.reduce((total, m) => total + (m.info.cost ?? 0), 0)
    expect(reply.totalCost).toBeCloseTo(sum, 12)
    expect(reply.totalCost).toBeCloseTo(4 * 2e-5, 12)
    expect(reply.totalInputTokens).toBe(40)
    expect(reply.totalOutputTokens).toBe(20)
    expect(reply.toolCount).toBe(3)
  })

  it('todowrite: the todo tool part carries the canonical todos', () => {
    const reply = replay(load('todowrite'))
    const todo = reply.parts.find(
      (p) => p.type === 'tool' && (p as ToolPartRecord).tool === 'todowrite',
    ) as ToolPartRecord
    expect(todo.input?.todos).toEqual([
      expect.objectContaining({ content: 'Read the brief', status: 'completed' }),
      expect.objectContaining({ content: 'Draft the answer', status: 'in_progress' }),
    ])
  })

  it('llm 400: session.error surfaces the upstream reason to observers', () => {
    const errors: string[] = []
    const reply = new Reply().addObserver({ sessionErrored: ({ text }) => errors.push(text) })
    for (const event of load('llm-400').events) reply.apply(event)
    expect(errors[0]).toBe('APIError: fake model rejected the request')
    expect(reply.result.fullText).toBe('')
  })

  it('llm 500: observers see the retries with attempt numbers', () => {
    const retries: Array<number | undefined> = []
    const reply = new Reply().addObserver({ sessionRetried: ({ attempt }) => retries.push(attempt) })
    for (const event of load('llm-500-retries').events) reply.apply(event)
    expect(retries).toEqual([1, 2])
  })

  it('abort mid-stream: the text streamed so far is kept and MessageAbortedError is reported', () => {
    const errors: string[] = []
    const reply = new Reply().addObserver({ sessionErrored: ({ text }) => errors.push(text) })
    for (const event of load('abort-mid-stream').events) reply.apply(event)
    expect(errors).toEqual(['MessageAbortedError: Aborted'])
    expect(reply.result.fullText).toMatch(/^streaming /)
  })

  it('permission ask: prompt-blocked while pending, unblocked after the reply', () => {
    const reply = new Reply()
    const blocked: boolean[] = []
    for (const event of load('permission-ask').events) {
      reply.apply(event)
      if (event.type === 'permission.asked' || event.type === 'permission.replied')
        blocked.push(reply.promptBlocked)
    }
    expect(blocked).toEqual([true, false])
  })

  it('the final-exchange merge of every fixture reproduces the streamed text', () => {
    for (const name of [
      'plain-text',
      'reasoning',
      'write-tool',
      'multi-step',
      'todowrite',
      'permission-ask',
    ]) {
      const fixture = load(name)
      const reply = replay(fixture)
      const merged = Reply.distill(mergeFinalExchange(reply.parts, fixture.messages))
      expect(merged.fullText, name).toBe(reply.result.fullText)
      expect(merged.toolParts.length, name).toBe(reply.result.toolParts.length)
    }
  })
})

describe('Client.stream() over the recorded real-server streams (MSW, bytes cut at odd points)', () => {
  const server = setupServer()
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => server.resetHandlers())
  afterAll(() => server.close())
  const BASE = 'http://opencode.test'

  for (const name of readdirSync(dir).map((file) => file.replace(/\.json$/, ''))) {
    it(`${name}: the streamed and merged result matches the final messages; the user's prompt is not in it`, async () => {
      const fixture = load(name)
      const sessionId = fixture.events
        .map((e) => e.properties.sessionID)
        .find((id) => typeof id === 'string') as string
      const text = [{ type: 'server.connected', properties: {} }, ...fixture.events]
        .map((event) => `data: ${JSON.stringify(event)}\n\n`)
        .join('')
      const bytes = new TextEncoder().encode(text)
      let prompts = 0
      server.use(
        http.get(`${BASE}/event`, () => {
          // 61-byte chunks: frames, multi-byte characters and line ends are split everywhere.
          const chunks: Uint8Array[] = []
          for (let i = 0; i < bytes.length; i += 61) chunks.push(bytes.slice(i, i + 61))
          return new HttpResponse(
            new ReadableStream({
              start(controller) {
                for (const chunk of chunks) controller.enqueue(chunk)
                controller.close()
              },
            }),
            { headers: { 'content-type': 'text/event-stream' } },
          )
        }),
        http.post(`${BASE}/session/${sessionId}/prompt_async`, () => {
          prompts++
          return new HttpResponse(null, { status: 204 })
        }),
        http.get(`${BASE}/session/${sessionId}/message`, () => HttpResponse.json(fixture.messages)),
      )
      const result = await new Client({ baseUrl: BASE }).stream(sessionId, fixture.prompt)
      const expected = Reply.distill(mergeFinalExchange(replay(fixture).parts, fixture.messages))
      expect(prompts).toBe(1)
      expect(result.fullText).toBe(expected.fullText)
      expect(result.toolParts).toEqual(expected.toolParts)
      if (fixture.prompt) expect(result.fullText.includes(fixture.prompt)).toBe(false)
    })
  }
})
