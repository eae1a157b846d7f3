/**
 * A scripted OpenAI-compatible chat-completions server on loopback: the "LLM" behind a real
 * `opencode serve` in the end-to-end suite. It streams OpenAI-style SSE chunks and picks its
 * behaviour from a keyword in the last user message, and its next step by counting the tool
 * results OpenCode sent back since that message:
 *
 * - `[write NAME]`  one `write` tool call creating NAME, then a final text
 * - `[todo]`        one `todowrite` call, then a final text
 * - `[steps N]`     N `bash` calls (`echo stepK`), each its own model step, then a final text
 * - `[reasoning]`   reasoning deltas before the text
 * - `[question]`    one `question` tool call (the server must enable the tool), then a final text
 * - `[slow]`        many text deltas, `slowDelayMs` apart (for cancelling mid-stream)
 * - `[llm500]`      HTTP 500 on every request (OpenCode retries with backoff, never errors)
 * - `[llm400]`      HTTP 400 (OpenCode emits `session.error` APIError)
 * - anything else   a plain text reply
 *
 * Requests without tools are OpenCode asking the small model for a title.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Text of the final reply in every scenario, so tests can assert it. */
export const FINAL_TEXT = 'All done from the fake model.'

interface ChatMessage {
  role: string
  content?: unknown
  tool_call_id?: string
}

interface ChatRequest {
  messages?: ChatMessage[]
  tools?: unknown[]
  stream?: boolean
}

export interface FakeLlm {
  url: string
  /** Every chat request received, in order. */
  readonly requests: ChatRequest[]
  close(): Promise<void>
}

export interface FakeLlmOptions {
  /** Absolute directory the `write` tool writes into (OpenCode's project directory). */
  projectDir: string
  slowDelayMs?: number
}

const textOf = (message: ChatMessage | undefined): string => {
  if (!message) return ''
  if (typeof message.content === 'string') return message.content
  if (Array.isArray(message.content)) {
    return message.content.map((part) => (part as { text?: string }).text ?? '').join('\n')
  }
  return ''
}

async function readJson(req: IncomingMessage): Promise<ChatRequest> {
  let body = ''
  for await (const chunk of req) body += chunk
  return body ? (JSON.parse(body) as ChatRequest) : {}
}

export async function startFakeLlm(options: FakeLlmOptions): Promise<FakeLlm> {
  const requests: ChatRequest[] = []
  const slowDelayMs = options.slowDelayMs ?? 150
  const server: Server = createServer(async (req, res) => {
    const request = await readJson(req)
    requests.push(request)
    if (!req.url?.includes('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      return
    }
    const messages = request.messages ?? []
    const lastUserIndex = messages.map((m) => m.role).lastIndexOf('user')
    const prompt = textOf(messages[lastUserIndex])
    const toolResults = messages.slice(lastUserIndex + 1).filter((m) => m.role === 'tool').length
    const isTitleRequest = !request.tools || request.tools.length === 0

    if (!isTitleRequest && prompt.includes('[llm500]')) {
      res.writeHead(500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: 'fake upstream overloaded', type: 'server_error' } }))
      return
    }
    if (!isTitleRequest && prompt.includes('[llm400]')) {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          error: { message: 'fake model rejected the request', type: 'invalid_request_error' },
        }),
      )
      return
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    const base = {
      id: `chatcmpl-${requests.length}`,
      object: 'chat.completion.chunk',
      created: 1,
      model: 'fake-model',
    }
    const send = (delta: Record<string, unknown>, finish: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      )
    const toolCall = (name: string, args: Record<string, unknown>) => {
      const id = `call_${requests.length}`
      send({
        role: 'assistant',
        tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }],
      })
      send({ tool_calls: [{ index: 0, function: { arguments: JSON.stringify(args) } }] })
      send({}, 'tool_calls')
    }
    const text = async (value: string, delayMs = 0) => {
      const words = value.split(/(?<= )/)
      for (const word of words) {
        send({ content: word })
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
      }
      send({}, 'stop')
    }

    const write = /\[write ([^\]\s]+)\]/.exec(prompt)
    const steps = /\[steps (\d+)\]/.exec(prompt)
    if (isTitleRequest) {
      await text('Fake title')
    } else if (write && toolResults === 0) {
      // v1's write tool takes `filePath`, v2's (`/api/*` sessions) takes `path`; each ignores the other.
      toolCall('write', {
        filePath: `${options.projectDir}/${write[1]}`,
        path: `${options.projectDir}/${write[1]}`,
        content: `# ${write[1]}\n\nWritten by the fake model.\n`,
      })
    } else if (prompt.includes('[todo]') && toolResults === 0) {
      toolCall('todowrite', {
        todos: [
          { id: '1', content: 'Read the brief', status: 'completed', priority: 'high' },
          { id: '2', content: 'Draft the answer', status: 'in_progress', priority: 'medium' },
        ],
      })
    } else if (prompt.includes('[question]') && toolResults === 0) {
      toolCall('question', {
        questions: [
          {
            question: 'Which colour should the report use?',
            header: 'Colour',
            options: [
              { label: 'Blue', description: 'Calm and corporate' },
              { label: 'Green', description: 'Fresh and friendly' },
            ],
          },
        ],
      })
    } else if (steps && toolResults < Number(steps[1])) {
      toolCall('bash', { command: `echo step${toolResults + 1}`, description: `Step ${toolResults + 1}` })
    } else {
      if (prompt.includes('[reasoning]')) {
        for (const word of ['Thinking ', 'it ', 'through.']) send({ reasoning_content: word })
      }
      await text(
        prompt.includes('[slow]') ? `${'streaming '.repeat(60)}${FINAL_TEXT}` : FINAL_TEXT,
        prompt.includes('[slow]') ? slowDelayMs : 0,
      )
    }
    res.write(
      `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })}\n\n`,
    )
    res.end('data: [DONE]\n\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
