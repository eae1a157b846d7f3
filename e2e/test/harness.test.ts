// The harness itself: a real `opencode serve` answers offline through the scripted fake LLM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FINAL_TEXT } from '../support/fakeLlm.js'
import { OPENCODE_VERSION, type RealOpencode, startRealOpencode } from '../support/opencodeServer.js'

let server: RealOpencode
beforeAll(async () => {
  server = await startRealOpencode()
}, 60_000)
afterAll(async () => {
  await server?.close()
})

async function waitForFinish(
  sessionId: string,
): Promise<
  Array<{ info: { role: string; finish?: string }; parts: Array<{ type: string; text?: string }> }>
> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const messages = await (await fetch(`${server.url}/session/${sessionId}/message`)).json()
    const last = messages.at(-1)
    if (last?.info.role === 'assistant' && last.info.finish === 'stop') return messages
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('the turn did not finish')
}

describe('real opencode harness', () => {
  it(`runs opencode ${OPENCODE_VERSION} offline and answers a prompt through the fake LLM`, async () => {
    const health = await (await fetch(`${server.url}/global/health`)).json()
    expect(health).toEqual({ healthy: true, version: OPENCODE_VERSION })
    const session = await (
      await fetch(`${server.url}/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"title":"harness"}',
      })
    ).json()
    const prompt = await fetch(`${server.url}/session/${session.id}/prompt_async`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parts: [{ type: 'text', text: 'hello' }] }),
    })
    expect(prompt.status).toBe(204)
    const messages = await waitForFinish(session.id)
    const text = messages.at(-1)?.parts.find((p) => p.type === 'text')?.text
    expect(text?.trim()).toBe(FINAL_TEXT)
  })
})
