// The stand-in plays OpenCode's v2 API (`new OpencodeStandIn({ api: 'v2' | 'both' })`): its durable
// logs are checked against the real 1.18.33's v2 recordings (packages/core/test/fixtures/
// opencode-1.18.33-v2), and the v2 transport runs turns against it as against the real server.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Client, type OpencodeEvent } from '../../src/index.js'
import { OpencodeStandIn, type Scenario, scenario } from '../../src/testing/index.js'
import { Reply } from '../../src/wire/index.js'

const recorded = (name: string): string[] => {
  const fixture = JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'opencode-1.18.33-v2', `${name}.json`), 'utf8'),
  ) as { history: { type: string }[] }
  return fixture.history.map((event) => event.type)
}

function clientOf(standIn: OpencodeStandIn, api?: 'v1' | 'v2') {
  return new Client({
    baseUrl: 'http://standin-v2.test',
    directory: '/standin/project',
    fetch: async (input, init) => standIn.handle(new Request(input, init)),
    ...(api ? { api } : {}),
  })
}

/** One prompt through the v2 transport, answering requests with `answer`; the session's durable log after. */
async function turn(
  play: Scenario,
  answer: (event: OpencodeEvent, client: Client) => Promise<void> = async () => {},
  stop?: (reply: Reply) => boolean,
) {
  const standIn = new OpencodeStandIn({ api: 'both', heartbeatMs: 0 })
  standIn.enqueue(play)
  const client = clientOf(standIn)
  const session = await client.createSession()
  const reply = new Reply()
  const events: OpencodeEvent[] = []
  for await (const event of client.events(session.id, {
    onceConnected: () => client.prompt(session.id, { text: 'Go', messageId: 'msg_standinv2prompt00001' }),
    blocked: () => reply.promptBlocked,
    deadlines: { overallMs: 10_000 },
  })) {
    events.push(event)
    reply.apply(event)
    await answer(event, client)
    if (stop?.(reply)) await client.abortSession(session.id)
  }
  const history = (await (
    await standIn.handle(new Request(`http://x/api/session/${session.id}/history?after=0&limit=1000`))
  ).json()) as { data: { type: string; durable?: { seq: number } }[] }
  standIn.close()
  return { standIn, client, session, reply, events, history: history.data }
}

describe('the stand-in plays the v2 API', () => {
  it("the probe: 'both' → v2 (offers both), 'v2' → v2 only, default → v1 only", async () => {
    for (const [api, offers] of [
      ['both', ['v2', 'v1']],
      ['v2', ['v2']],
      [undefined, ['v1']],
    ] as const) {
      const standIn = new OpencodeStandIn({ heartbeatMs: 0, ...(api ? { api } : {}) })
      const client = clientOf(standIn)
      await client.api()
      expect(client.probe?.offers, String(api)).toEqual(offers)
    }
  })

  it('plain text: the durable log of the recording, seq 1…n; the reply and cost as on the real server', async () => {
    const { reply, history } = await turn(scenario().text('All done.').cost(0, { input: 10, output: 5 }))
    expect(history.map((e) => e.type)).toEqual(recorded('plain-text'))
    expect(history.map((e) => e.durable?.seq)).toEqual(history.map((_, i) => i + 1))
    expect(reply.result.fullText).toBe('All done.')
    expect(reply.totalCost).toBeCloseTo(2e-5, 12) // 1.18.33 reports 0: priced from GET /api/model
  })

  it('reasoning, then text: the recorded log', async () => {
    const { reply, history } = await turn(scenario().reasoning('Thinking.').text('Done.'))
    expect(history.map((e) => e.type)).toEqual(recorded('reasoning'))
    expect(reply.result.reasoningText).toBe('Thinking.')
  })

  it('a tool loop of three steps: the recorded log, every tool completed', async () => {
    const play = scenario()
      .tool('bash', { input: { command: 'echo 1' }, output: '1' })
      .tool('bash', { input: { command: 'echo 2' }, output: '2' })
      .tool('bash', { input: { command: 'echo 3' }, output: '3' })
      .text('All done.')
    const { reply, history } = await turn(play)
    expect(history.map((e) => e.type)).toEqual(recorded('multi-step'))
    expect(reply.result.toolParts.map((p) => [p.tool, p.status])).toEqual([
      ['bash', 'completed'],
      ['bash', 'completed'],
      ['bash', 'completed'],
    ])
  })

  it('a permission asked on the live stream, answered on the v2 route: the recorded log', async () => {
    const play = scenario()
      .permission('bash', ['echo step1'])
      .tool('bash', { input: { command: 'echo step1' }, output: 'step1' })
      .text('All done.')
    const asked: string[] = []
    const { reply, history } = await turn(play, async (event, client) => {
      if (event.type !== 'permission.asked') return
      asked.push(String(event.properties.id))
      await client.replyPermission({ requestId: String(event.properties.id), reply: 'once' })
    })
    expect(asked).toHaveLength(1)
    expect(history.map((e) => e.type)).toEqual(recorded('permission-ask'))
    expect(reply.result.fullText).toBe('All done.')
  })

  it('an LLM 400: step.failed with the status in its message, as recorded → APIError 400', async () => {
    const { events, history } = await turn(scenario().llmError({ statusCode: 400, message: 'bad request' }))
    expect(history.map((e) => e.type)).toEqual(recorded('llm-400'))
    const error = events.find((e) => e.type === 'session.error')?.properties.error as {
      name?: string
      data?: { statusCode?: number }
    }
    expect(error).toMatchObject({ name: 'APIError', data: { statusCode: 400 } })
  })

  it('an interrupt mid-text: the step fails "Provider turn interrupted" → MessageAbortedError', async () => {
    const { events } = await turn(
      scenario().text('a long answer that streams', { chunks: ['a long ', 'answer ', 'that ', 'streams'] }),
      async () => {},
      (reply) => reply.result.fullText.length > 0,
    )
    const error = events.find((e) => e.type === 'session.error')?.properties.error as { name?: string }
    expect(error?.name).toBe('MessageAbortedError')
  })

  it('a repeated prompt id returns the first receipt and runs nothing again', async () => {
    const { standIn, client, session } = await turn(scenario().text('Once.'))
    const receipt = (await (
      await standIn.handle(
        new Request(`http://x/api/session/${session.id}/prompt`, {
          method: 'POST',
          body: JSON.stringify({ prompt: { text: 'Go' }, id: 'msg_standinv2prompt00001' }),
        }),
      )
    ).json()) as { data: { admittedSeq: number; promotedSeq?: number } }
    expect(receipt.data).toMatchObject({ admittedSeq: 1, promotedSeq: 1 })
    expect(standIn.stats.repeatedPromptIds).toBe(1)
    const messages = await client.getMessages(session.id)
    expect(messages.map((m) => m.info.role)).toEqual(['user', 'assistant'])
  })

  it('a v2-only stand-in answers legacy routes with HTML (the probe reads it as "no legacy API")', async () => {
    const standIn = new OpencodeStandIn({ api: 'v2', heartbeatMs: 0 })
    const response = await standIn.handle(new Request('http://x/global/health'))
    expect(response.headers.get('content-type')).toBe('text/html')
  })
})
