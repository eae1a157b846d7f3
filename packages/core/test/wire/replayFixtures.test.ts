// The recorded streams of every supported OpenCode line (e2e/scripts/record-fixtures.ts) replayed
// through Reply and through Client.stream() over MSW: protocol drift between lines shows up here,
// and each line's documented difference is exercised by its own recording.
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, SessionNotFoundError, UpstreamError } from '../../src/index.js'
import {
  Reply,
  type StreamResult,
  SUPPORTED_OPENCODE_VERSIONS,
  type ToolPartRecord,
} from '../../src/wire/index.js'
import { mergeFinalExchange } from '../../src/wire/mergeFinalExchange.js'
import {
  FINAL,
  type Fixture,
  loadFixture,
  loadServer,
  type PlaybackStats,
  playFixture,
  recordedScenarios,
  recordedVersions,
  SCENARIOS,
} from '../support/opencodeFixtures.js'

const replay = (fixture: Fixture) => {
  const reply = new Reply()
  for (const event of fixture.events) reply.apply(event)
  return reply
}
const versions = recordedVersions()

it('every tested line (and the pinned one) has a recording of every scenario', () => {
  for (const version of SUPPORTED_OPENCODE_VERSIONS.tested) expect(versions).toContain(version)
  for (const version of versions) expect(recordedScenarios(version), version).toEqual([...SCENARIOS].sort())
})

describe.each(versions)('opencode %s: Reply replays the recorded stream', (version) => {
  const load = (name: string) => loadFixture(version, name)

  it('the recording is of this version and nothing timed out', () => {
    expect(loadServer(version).health.version).toBe(version)
    for (const name of SCENARIOS) {
      const fixture = load(name)
      expect(fixture.opencodeVersion, name).toBe(version)
      expect(fixture.timedOut, name).toBeUndefined()
    }
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

  it('the final-exchange merge of every finished scenario reproduces the streamed text', () => {
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

describe.each(versions)(
  'opencode %s: Client.stream() over the recorded server (MSW, bytes cut at odd points)',
  (version) => {
    const server = setupServer()
    beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
    afterEach(() => server.resetHandlers())
    afterAll(() => server.close())
    const BASE = 'http://opencode.test'

    for (const name of SCENARIOS.filter((s) => s !== 'deleted-session')) {
      it(`${name}: the streamed and merged result matches the final messages; the user's prompt is not in it`, async () => {
        const fixture = loadFixture(version, name)
        const stats: PlaybackStats = { prompts: 0, eventConnections: 0, globalEventConnections: 0 }
        server.use(...playFixture(BASE, fixture, stats))
        const warnings: unknown[] = []
        const outcome = await new Client({
          api: 'v1',
          baseUrl: BASE,
          onError: (error) => void warnings.push(error),
        })
          .stream(fixture.sessionId, fixture.prompt, { reconnectDelayMs: 0 })
          .catch((error: unknown) => error)
        // A turn the session reported an error for rejects with UpstreamError, carrying what streamed.
        const failed = fixture.events.some((event) => event.type === 'session.error')
        if (failed) expect(outcome).toBeInstanceOf(UpstreamError)
        const result = (outcome instanceof UpstreamError ? outcome.result : outcome) as StreamResult
        const expected = Reply.distill(mergeFinalExchange(replay(fixture).parts, fixture.messages))
        expect(stats.prompts).toBe(1)
        expect(result.fullText).toBe(expected.fullText)
        expect(result.toolParts).toEqual(expected.toolParts)
        if (fixture.prompt) expect(result.fullText.includes(fixture.prompt)).toBe(false)
        // Difference 1: where /event is broken the client moved to /global/event, once, and said so.
        expect(stats.globalEventConnections).toBe(fixture.eventPath ? 1 : 0)
        expect(warnings).toHaveLength(fixture.eventPath ? 1 : 0)
      })
    }

    it('deleted session: the prompt ends with SessionNotFoundError (a 404, or the stream’s NotFoundError where the line answers 204)', async () => {
      const fixture = loadFixture(version, 'deleted-session')
      const stats: PlaybackStats = { prompts: 0, eventConnections: 0, globalEventConnections: 0 }
      server.use(...playFixture(BASE, fixture, stats))
      const error = await new Client({ api: 'v1', baseUrl: BASE, onError: () => {} })
        .stream(fixture.sessionId, fixture.prompt, { reconnectDelayMs: 0, timeoutMs: 60_000 })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SessionNotFoundError)
      expect(stats.prompts).toBe(1)
    })
  },
)
