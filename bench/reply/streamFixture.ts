/**
 * A generated OpenCode event stream with a realistic mix: text deltas (most of the volume),
 * reasoning deltas, tool parts moving through their states, step finishes, heartbeats, and the
 * user's own prompt part. Returned as SSE bytes cut into 64 KiB chunks, like a socket delivers them.
 */
const SESSION = 'ses_bench'

export interface StreamFixture {
  chunks: Uint8Array[]
  bytes: number
  /** Length of the final assistant text, in characters. */
  textLength: number
  deltas: number
}

export function generateStream(deltas: number): StreamFixture {
  const frames: string[] = []
  const push = (type: string, properties: Record<string, unknown>) =>
    frames.push(
      `data: ${JSON.stringify({ id: `evt_${frames.length}`, type, properties: { sessionID: SESSION, ...properties } })}\n\n`,
    )
  frames.push(`data: ${JSON.stringify({ type: 'server.connected', properties: {} })}\n\n`)
  push('message.updated', { info: { id: 'msg_user', role: 'user', sessionID: SESSION } })
  push('message.part.updated', {
    part: {
      id: 'prt_user',
      messageID: 'msg_user',
      sessionID: SESSION,
      type: 'text',
      text: 'Write a long report',
    },
  })
  push('message.updated', { info: { id: 'msg_a', role: 'assistant', sessionID: SESSION } })
  let textLength = 0
  let part = 0
  const word =
    'lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et '
  for (let i = 0; i < deltas; i++) {
    if (i % 1000 === 0) {
      part++
      push('message.part.updated', {
        part: {
          id: `prt_${part}`,
          messageID: 'msg_a',
          sessionID: SESSION,
          type: i % 5000 === 0 ? 'reasoning' : 'text',
          text: '',
        },
      })
    }
    const isReasoning = (i - (i % 1000)) % 5000 === 0
    push('message.part.delta', { messageID: 'msg_a', partID: `prt_${part}`, field: 'text', delta: word })
    if (!isReasoning) textLength += word.length
    if (i % 500 === 250) {
      const id = `prt_tool_${i}`
      for (const status of ['pending', 'running', 'completed']) {
        push('message.part.updated', {
          part: {
            id,
            messageID: 'msg_a',
            sessionID: SESSION,
            type: 'tool',
            tool: 'bash',
            callID: `call_${i}`,
            state: {
              status,
              input: { command: `echo ${i}` },
              output: status === 'completed' ? `${i}\n` : undefined,
            },
          },
        })
      }
    }
    if (i % 5000 === 4999) {
      push('message.part.updated', {
        part: {
          id: `prt_step_${i}`,
          messageID: 'msg_a',
          sessionID: SESSION,
          type: 'step-finish',
          cost: 0.001,
          tokens: { input: 100, output: 50 },
        },
      })
      frames.push(`data: ${JSON.stringify({ type: 'server.heartbeat', properties: {} })}\n\n`)
    }
  }
  push('session.status', { status: { type: 'idle' } })
  const all = new TextEncoder().encode(frames.join(''))
  const chunks: Uint8Array[] = []
  for (let offset = 0; offset < all.length; offset += 65536) chunks.push(all.subarray(offset, offset + 65536))
  return { chunks, bytes: all.length, textLength, deltas }
}

/** A loopback HTTP server answering every request with the current fixture as an SSE body. */
export async function serveOverLoopback(): Promise<{
  url: string
  use(fixture: StreamFixture): void
  close(): Promise<void>
}> {
  const { createServer } = await import('node:http')
  let current: StreamFixture | undefined
  const server = createServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    for (const chunk of current?.chunks ?? []) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve))
    }
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    use: (fixture) => {
      current = fixture
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A `fetch` that answers every request with the fixture as an SSE body (no socket). */
export function fetchServing(fixture: StreamFixture): typeof fetch {
  return async () => {
    let index = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (index < fixture.chunks.length) controller.enqueue(fixture.chunks[index++] as Uint8Array)
        else controller.close()
      },
    })
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
  }
}
