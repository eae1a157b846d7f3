// Issue 17 steps 2 and 4: the prompt is sent once per message, ever. The upstream user message id
// is chosen and stored on the row before the prompt goes out; a second run for the same message
// (a retried job, a second worker) attaches to it, and a row that already ended is returned as is.
// Against the OpenCode stand-in (the real Client over MSW) with the in-memory ports.
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, runTurn, Session, type TurnOptions } from '../../src/index.js'
import { MemoryMessagePort, MemoryRecordPort, OpencodeStandIn, scenario } from '../../src/testing/index.js'
import { standInHandlers } from '../../src/testing/msw/index.js'
import { newMessageId } from '../../src/wire/index.js'

const BASE = 'http://prompt-once.test'
let gate: Promise<void> | undefined
let standIn = new OpencodeStandIn({ heartbeatMs: 0, pace: () => gate ?? Promise.resolve() })
const server = setupServer(
  ...standInHandlers({ handle: (r: Request) => standIn.handle(r) } as OpencodeStandIn, { baseUrl: BASE }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  standIn.close()
  gate = undefined
  standIn = new OpencodeStandIn({ heartbeatMs: 0, pace: () => gate ?? Promise.resolve() })
})
afterAll(() => server.close())

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

async function world() {
  const client = new Client({ baseUrl: BASE })
  const records = new MemoryRecordPort()
  const store = new MemoryMessagePort()
  const session = await client.createSession({})
  const subject = records.insert({ title: 'once', opencodeSessionId: session.id })
  const message = store.insert()
  const options = (): TurnOptions => ({
    messageId: message.id,
    prompt: 'What is the answer?',
    client,
    messages: store,
    session: new Session({ subject, records, client, permissions: 'server-defaults' }),
    emptyStreamRetryDelayMs: 0,
    finalExchangeTimeoutMs: 2000,
    finalExchangeRetryDelayMs: 20,
    onError: () => {},
  })
  /** What a worker killed right after its prompt left behind: the claim, and the prompt upstream. */
  const killedAfterPrompt = async () => {
    const id = newMessageId()
    await store.claimPrompt(message.id, { opencodeSessionId: session.id, opencodeMessageId: id })
    await client.prompt(session.id, { text: 'What is the answer?', messageId: id })
    return id
  }
  const upstream = async () => client.getMessages(session.id)
  return { client, store, message, session, options, killedAfterPrompt, upstream }
}

describe('issue 17: the prompt is sent once per message, ever', () => {
  it('issue 17 prompt once: the upstream message id is OpenCode-shaped, stored on the row before the prompt, and used upstream', async () => {
    const w = await world()
    standIn.enqueue(scenario().text('Forty-two.'))
    let storedAtPrompt: string | null = null
    const prompt = w.client.prompt.bind(w.client)
    w.client.prompt = async (sessionId, input) => {
      storedAtPrompt = (await w.store.load(w.message.id)).opencodeMessageId
      return prompt(sessionId, input)
    }
    const result = await runTurn(w.options())
    expect(result.status).toBe('completed')
    const row = await w.store.load(w.message.id)
    expect(row.opencodeMessageId).toMatch(/^msg_[0-9a-f]{12}[0-9A-Za-z]{14}$/)
    expect(storedAtPrompt).toBe(row.opencodeMessageId)
    expect(row.opencodeSessionId).toBe(w.session.id)
    const users = (await w.upstream()).filter((m) => m.info.role === 'user')
    expect(users.map((m) => m.info.id)).toEqual([row.opencodeMessageId])
    expect(row.content).toBe('Forty-two.')
  })

  it('issue 17 prompt once: ids sort by creation time like OpenCode’s', () => {
    const ids = [newMessageId(1_000), newMessageId(1_000), newMessageId(2_000), newMessageId(3_000_000)]
    expect([...ids].sort()).toEqual(ids)
  })

  it('issue 17 retried job: a row that already ended is returned as it is — no prompt, no write, no hook', async () => {
    const w = await world()
    standIn.enqueue(scenario().text('Forty-two.'))
    expect((await runTurn(w.options())).status).toBe('completed')
    const before = await w.store.load(w.message.id)
    let hooks = 0
    const again = await runTurn({ ...w.options(), onTurnFinished: () => void hooks++ })
    expect(again.status).toBe('completed')
    expect(again.message?.content).toBe('Forty-two.')
    expect(await w.store.load(w.message.id)).toEqual(before)
    expect(hooks).toBe(0)
    expect(standIn.stats.prompts).toBe(1)
  })

  it('issue 17 retried job: the worker died after its prompt and the answer finished upstream — salvaged, prompt sent once', async () => {
    const w = await world()
    standIn.enqueue(scenario().text('Forty-two.').cost(0.02, { input: 5, output: 3 }))
    await w.killedAfterPrompt()
    for (let i = 0; i < 100 && !(await w.upstream()).some((m) => m.info.time?.completed); i++) await settle()
    const result = await runTurn(w.options())
    expect(result.status).toBe('completed')
    expect(await w.store.load(w.message.id)).toMatchObject({
      status: 'completed',
      content: 'Forty-two.',
      cost: 0.02,
    })
    expect(standIn.stats.prompts).toBe(1)
    expect(standIn.stats.repeatedPromptIds).toBe(0)
  })

  it('issue 17 retried job: the worker died after its prompt while the agent still works — the retry attaches and streams the rest', async () => {
    const w = await world()
    let open: () => void = () => {}
    gate = new Promise<void>((resolve) => {
      open = resolve
    })
    standIn.enqueue(scenario().text('Still working on it, then done.'))
    await w.killedAfterPrompt()
    await settle()
    const turn = runTurn(w.options())
    await settle()
    gate = undefined
    open()
    const result = await turn
    expect(result.status).toBe('completed')
    expect((await w.store.load(w.message.id)).content).toBe('Still working on it, then done.')
    expect(standIn.stats.prompts).toBe(1)
  })

  it('issue 17 retried job: the claim was stored but the prompt never left — sent now, with the stored id', async () => {
    const w = await world()
    standIn.enqueue(scenario().text('Forty-two.'))
    const id = newMessageId()
    await w.store.claimPrompt(w.message.id, { opencodeSessionId: w.session.id, opencodeMessageId: id })
    const result = await runTurn(w.options())
    expect(result.status).toBe('completed')
    expect(standIn.stats.prompts).toBe(1)
    const users = (await w.upstream()).filter((m) => m.info.role === 'user')
    expect(users.map((m) => m.info.id)).toEqual([id])
  })

  it('issue 17 two workers run the same message at once: one prompt upstream, both end with the answer', async () => {
    const w = await world()
    standIn.enqueue(scenario().text('Forty-two.'))
    const [a, b] = await Promise.all([runTurn(w.options()), runTurn(w.options())])
    expect(standIn.stats.prompts).toBe(1)
    expect([a.status, b.status]).toEqual(['completed', 'completed'])
    expect(await w.store.load(w.message.id)).toMatchObject({ status: 'completed', content: 'Forty-two.' })
  })
})
