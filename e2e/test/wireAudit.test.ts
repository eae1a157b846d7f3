// Issue 15, items 1 and 2, against a real `opencode serve` (offline, scripted fake LLM).
import { Client, TimeoutError } from '@opencode-kit/core'
import { type OpencodeMessage, Reply } from '@opencode-kit/core/wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FINAL_TEXT } from '../support/fakeLlm.js'
import { type RealOpencode, startRealOpencode } from '../support/opencodeServer.js'

describe('issue 15 #1 on a real server: a blocked stream whose server is gone ends', () => {
  let server: RealOpencode | undefined
  afterAll(async () => {
    await server?.close()
  })

  it('a bash call waits for permission; the server is stopped meanwhile; the stream ends with TimeoutError within the overall deadline', async () => {
    server = await startRealOpencode()
    const running = server
    const client = new Client({ baseUrl: running.url, onError: () => {} })
    const session = await client.createSession({
      title: 'e2e blocked',
      permissions: [{ permission: 'bash', pattern: '*', action: 'ask' }],
    })
    const reply = new Reply()
    let stoppedAt: number | undefined
    const outcome = await (async () => {
      for await (const event of client.events(session.id, {
        onceConnected: () => client.prompt(session.id, { text: 'Run it [steps 1]' }),
        blocked: () => reply.promptBlocked,
        reconnectDelayMs: 100,
        deadlines: { overallMs: 20_000, firstEventMs: 60_000 },
      })) {
        reply.apply(event)
        if (event.type === 'permission.asked' && stoppedAt === undefined) {
          // The question waits for a human; the server goes away and never comes back.
          void running.close()
          stoppedAt = performance.now()
        }
      }
      return `ended normally: ${reply.result.fullText}`
    })().catch((error: unknown) => error)
    expect(stoppedAt).toBeDefined()
    expect(outcome).toBeInstanceOf(TimeoutError)
    // Within the overall deadline after the server went (plus the time it takes to stop).
    expect(performance.now() - (stoppedAt ?? 0)).toBeLessThan(26_000)
  }, 120_000)
})

describe('issue 15 #2 on a real server: stream() keeps the streamed answer', () => {
  let server: RealOpencode
  beforeAll(async () => {
    server = await startRealOpencode()
  }, 60_000)
  afterAll(async () => {
    await server?.close()
  })

  it('a todo was streamed and the final poll has no assistant parts yet (a slow save): the streamed text and the todo stand', async () => {
    // The real server streams the turn, with two things a client meets in production: the frames of
    // the todowrite tool part are lost (a connection gap: the legacy API replays nothing), so the
    // todo arrives only as `todo.updated`; and the final poll is answered as a server that has not
    // saved the reply yet would, with only the user's message.
    const slowSave: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      const url = new URL(input instanceof Request ? input.url : String(input))
      if (url.pathname.endsWith('/event') && response.body)
        return new Response(response.body.pipeThrough(dropFrames(isTodoToolFrame)), response)
      if (!url.pathname.endsWith('/message') || (init?.method ?? 'GET') !== 'GET') return response
      const messages = (await response.json()) as OpencodeMessage[]
      return Response.json(messages.filter((message) => message.info?.role === 'user'))
    }
    const client = new Client({ baseUrl: server.url, fetch: slowSave, onError: () => {} })
    const session = await client.createSession({ title: 'e2e slow save' })
    const result = await client.stream(session.id, 'Plan it [todo]', { deadlines: { overallMs: 60_000 } })
    // The server did answer with text and a todo (the test is about the poll, not the stream).
    const saved = await new Client({ baseUrl: server.url }).getMessages(session.id)
    expect(saved.filter((message) => message.info?.role === 'assistant').length).toBeGreaterThan(0)
    expect(result.fullText.trim()).toBe(FINAL_TEXT)
    // The todo came from `todo.updated` only: a stream-only part, kept in place.
    expect(result.parts.some((part) => part.type === 'tool' && part.tool === 'todowrite')).toBe(true)
    expect(result.usage.cost).toBeGreaterThan(0)
  }, 60_000)
})

/** The frames of the todowrite tool part. */
const isTodoToolFrame = (data: string) =>
  data.includes('"type":"tool"') && data.includes('"tool":"todowrite"')

/** An SSE byte stream without the frames whose data matches `drop`. */
function dropFrames(drop: (data: string) => boolean): TransformStream<Uint8Array, Uint8Array> {
  const utf8 = new TextDecoder()
  const encode = new TextEncoder()
  let buffer = ''
  return new TransformStream({
    transform(chunk, controller) {
      buffer += utf8.decode(chunk, { stream: true })
      let end = buffer.indexOf('\n\n')
      while (end !== -1) {
        const frame = buffer.slice(0, end + 2)
        buffer = buffer.slice(end + 2)
        if (!drop(frame)) controller.enqueue(encode.encode(frame))
        end = buffer.indexOf('\n\n')
      }
    },
    flush(controller) {
      if (buffer) controller.enqueue(encode.encode(buffer))
    },
  })
}
