// The stand-in on a real loopback port (no MSW in this file: it would intercept loopback fetches).
import { describe, expect, it } from 'vitest'
import { Client, runTurn, Session } from '../../src/index.js'
import {
  MemoryMessagePort,
  MemoryRecordPort,
  MemoryStorage,
  scenario,
  startOpencodeStandIn,
} from '../../src/testing/index.js'

describe('startOpencodeStandIn: a real loopback server', () => {
  it('runs a full Turn over HTTP: completed, artifact attached, one session, one prompt', async () => {
    const running = await startOpencodeStandIn({ heartbeatMs: 50 })
    try {
      running.enqueue(
        scenario()
          .write('/p/report.md', '# Report')
          .text('Report written.')
          .cost(0.002, { input: 50, output: 9 }),
      )
      const c = new Client({ baseUrl: running.url })
      const records = new MemoryRecordPort()
      const messages = new MemoryMessagePort()
      const storage = new MemoryStorage()
      const message = messages.insert()
      const result = await runTurn({
        messageId: message.id,
        messages,
        session: new Session({
          subject: records.insert({ title: 'loopback' }),
          records,
          client: c,
          permissions: 'server-defaults',
        }),
        client: c,
        prompt: 'Write the report',
        artifacts: { storage },
      })
      expect(result.status).toBe('completed')
      expect(await messages.load(message.id)).toMatchObject({
        content: 'Report written.',
        cost: 0.002,
        inputTokens: 50,
      })
      expect((await storage.list(message.id)).map((a) => a.filename)).toEqual(['report.md'])
      expect(running.stats).toMatchObject({ sessionsCreated: 1, prompts: 1 })
    } finally {
      await running.close()
    }
  })
})
