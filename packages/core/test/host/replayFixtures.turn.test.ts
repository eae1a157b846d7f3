// Every supported OpenCode line's recorded turns (packages/core/test/fixtures/opencode-<version>/)
// played back over MSW to the real Client, Session and runTurn with the in-memory ports: the row each
// line's server leads to is the same.
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, type MessageRow, runTurn, Session, type TurnStatus } from '../../src/index.js'
import { MemoryMessagePort, MemoryRecordPort } from '../../src/testing/index.js'
import {
  FINAL,
  loadFixture,
  type PlaybackStats,
  playFixture,
  recordedVersions,
} from '../support/opencodeFixtures.js'

const BASE = 'http://turn-replay.test'
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

interface Expectation {
  status: TurnStatus
  check?: (row: MessageRow) => void
}

const completedWithFinal = (check?: (row: MessageRow) => void): Expectation => ({
  status: 'completed',
  check: (row) => {
    expect(row.content?.trim()).toBe(FINAL)
    check?.(row)
  },
})

const EXPECTED: Record<string, Expectation> = {
  'plain-text': completedWithFinal((row) => {
    expect(row.cost).toBeCloseTo(2e-5, 12)
    expect(row.inputTokens).toBe(10)
  }),
  reasoning: completedWithFinal((row) =>
    expect(String(row.parts?.find((p) => p.type === 'reasoning')?.content).trim()).toBe(
      'Thinking it through.',
    ),
  ),
  'write-tool': completedWithFinal((row) => expect(row.toolCalls?.map((p) => p.tool)).toEqual(['write'])),
  todowrite: completedWithFinal((row) => expect(row.toolCalls?.map((p) => p.tool)).toEqual(['todowrite'])),
  'multi-step': completedWithFinal((row) => {
    expect(row.cost).toBeCloseTo(8e-5, 12)
    expect([row.inputTokens, row.outputTokens]).toEqual([40, 20])
    expect(row.toolCalls).toHaveLength(3)
  }),
  'permission-ask': completedWithFinal((row) => expect(row.toolCalls?.map((p) => p.tool)).toEqual(['bash'])),
  'llm-400': { status: 'error' },
}

describe.each(recordedVersions())(
  'opencode %s: the recorded turns through Session and runTurn',
  (version) => {
    it.each(Object.keys(EXPECTED))('%s', async (name) => {
      const fixture = loadFixture(version, name)
      const stats: PlaybackStats = { prompts: 0, eventConnections: 0, globalEventConnections: 0 }
      server.use(...playFixture(BASE, fixture, stats))
      const records = new MemoryRecordPort()
      const messages = new MemoryMessagePort()
      const message = messages.insert()
      const subject = records.insert({ title: name, opencodeSessionId: fixture.sessionId })
      const client = new Client({ api: 'v1', baseUrl: BASE, onError: () => {} })
      const result = await runTurn({
        messageId: message.id,
        messages,
        session: new Session({ subject, records, client, permissions: 'server-defaults' }),
        client,
        prompt: fixture.prompt,
        emptyStreamRetryDelayMs: 0,
        finalExchangeTimeoutMs: 0,
        finalExchangeRetryDelayMs: 0,
        stream: { reconnectDelayMs: 0 },
      })
      const expected = EXPECTED[name] as Expectation
      expect(result.status).toBe(expected.status)
      const row = await messages.load(message.id)
      expect(row.status).toBe(expected.status)
      expected.check?.(row)
      expect(stats.prompts).toBe(1)
    })
  },
)
