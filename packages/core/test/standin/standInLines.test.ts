// The stand-in plays every supported OpenCode line (`new OpencodeStandIn({ version })`): what it
// plays is checked against that line's recording from the real server.
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Client, type OpencodeEvent, SessionNotFoundError } from '../../src/index.js'
import { OpencodeStandIn, SERVER_LINES, type ServerLineName, scenario } from '../../src/testing/index.js'
import { standInHandlers } from '../../src/testing/msw/index.js'
import { Reply } from '../../src/wire/index.js'
import { FINAL, loadFixture } from '../support/opencodeFixtures.js'
import { followSession } from '../wire/sse.js'

const BASE = 'http://standin-lines.test'
let standIn = new OpencodeStandIn({ heartbeatMs: 0 })
const server = setupServer(
  ...standInHandlers({ handle: (request: Request) => standIn.handle(request) } as OpencodeStandIn, {
    baseUrl: BASE,
  }),
)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => standIn.close())
afterAll(() => server.close())

/** Event kinds in order, without the bookkeeping the stand-in does not reproduce (as standIn.test.ts). */
function essential(events: OpencodeEvent[]): string[] {
  const out: string[] = []
  for (const e of events) {
    if (
      ['session.created', 'session.updated', 'session.diff', 'server.connected', 'server.heartbeat'].includes(
        e.type,
      )
    )
      continue
    const p = e.properties as {
      info?: { role?: string }
      part?: { type?: string; state?: { status?: string } }
      status?: { type?: string }
    }
    if (e.type === 'session.status' && p.status?.type === 'busy') continue
    if (e.type === 'message.updated' && p.info?.role === 'user' && out.includes('message.updated:user'))
      continue
    const key =
      e.type === 'message.part.updated'
        ? `part:${p.part?.type}${p.part?.state?.status ? `:${p.part.state.status}` : ''}`
        : e.type === 'message.updated'
          ? `message.updated:${p.info?.role}`
          : e.type === 'session.status'
            ? `status:${p.status?.type}`
            : e.type
    if (out.at(-1) === key && (key.startsWith('status:') || key === 'message.part.delta')) continue
    out.push(key)
  }
  return out.slice(0, out.indexOf('status:idle') + 1)
}

async function stream(client: Client, text: string) {
  const session = await client.createSession({ title: 'line' })
  const events: OpencodeEvent[] = []
  const reply = new Reply()
  await followSession(
    client,
    {
      sessionId: session.id,
      reconnectDelayMs: 0,
      onSubscribed: () => client.prompt(session.id, { text: text }).then(() => true),
    },
    (event) => {
      events.push(event)
      reply.apply(event)
    },
  )
  return { events, reply }
}

describe.each(Object.entries(SERVER_LINES))('the stand-in playing %s', (line, profile) => {
  it(`reports ${profile.version} and plays the recorded plain-text and write-tool streams of that line`, async () => {
    standIn = new OpencodeStandIn({ heartbeatMs: 0, version: line as ServerLineName })
    const client = new Client({ baseUrl: BASE, onError: () => {} })
    expect(await client.health()).toEqual({ healthy: true, version: profile.version })
    // On 1.14 the first stream finds /event broken and moves to /global/event: compare from then on.
    if (profile.eventEndsAfterConnected) await stream(client, 'warm up')
    for (const [name, play] of [
      ['plain-text', () => scenario().text(FINAL)],
      ['write-tool', () => scenario().write('notes.md', '# notes').text(FINAL)],
    ] as const) {
      standIn.enqueue(play())
      const { events, reply } = await stream(client, 'x')
      expect(essential(events), `${line} ${name}`).toEqual(
        essential(loadFixture(profile.version, name).events),
      )
      expect(reply.result.fullText).toBe(FINAL)
    }
  })

  it('answers a prompt to a deleted session as that line does', async () => {
    standIn = new OpencodeStandIn({ heartbeatMs: 0, version: line as ServerLineName })
    const client = new Client({ baseUrl: BASE, onError: () => {} })
    // A client that has not yet found 1.14's /event broken misses what the server says while it
    // moves to /global/event (here: the NotFoundError) — a turn's message poll catches that case.
    if (profile.eventEndsAfterConnected) await stream(client, 'warm up')
    const session = await client.createSession()
    await client.deleteSession(session.id)
    const recorded = loadFixture(profile.version, 'deleted-session').calls?.find((c) => c.method === 'POST')
    const error = await followSession(
      client,
      {
        sessionId: session.id,
        reconnectDelayMs: 0,
        onSubscribed: () => client.prompt(session.id, { text: 'hi' }).then(() => true),
      },
      () => {},
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionNotFoundError)
    expect((error as SessionNotFoundError).status, line).toBe(recorded?.status === 404 ? 404 : undefined)
  })
})
