import { OpencodeStandIn, type OpencodeStandInOptions, type StandInStats } from './OpencodeStandIn.js'
import type { Scenario } from './Scenario.js'

/** A stand-in served on a real loopback port. */
export interface RunningStandIn {
  /** `http://127.0.0.1:<port>`: give it to `new Client({ baseUrl })` or the kit, other processes included. */
  url: string
  /** Live counters (sessions created/deleted/aborted, prompts). */
  stats: StandInStats
  /** Answer the next prompts (FIFO) with these scenarios. */
  enqueue(...scenarios: Scenario[]): void
  /** Make the next request matching `method` and `path` answer `status` (then behave normally). */
  failNext(method: string, path: RegExp, status: number, body?: unknown): void
  /** Forget a session as if it was deleted upstream: later calls answer 404. */
  forgetSession(id: string): void
  /** Ids of the sessions it knows. */
  readonly sessionIds: string[]
  /** Resolves when no turn is running. */
  idle(): Promise<void>
  /** Stop the turns, end the event streams, close the port. */
  close(): Promise<void>
}

interface NodeHttp {
  createServer(handler: (req: NodeRequest, res: NodeResponse) => void): {
    listen(port: number, host: string, done: () => void): void
    address(): { port: number } | string | null
    close(done: () => void): void
    closeAllConnections?(): void
  }
}
interface NodeRequest extends AsyncIterable<Uint8Array> {
  method?: string
  url?: string
  headers: Record<string, string | string[] | undefined>
  on(event: 'close', listener: () => void): void
}
interface NodeResponse {
  writeHead(status: number, headers: Record<string, string>): void
  write(chunk: Uint8Array): boolean
  end(): void
  destroy(): void
  on(event: 'close', listener: () => void): void
}

/**
 * Start an OpenCode stand-in on a loopback port (Node only; `node:http` is loaded on call, so the
 * testing entry still loads elsewhere). For multi-process tests and demos; in-process tests can
 * use {@link standInHandlers} with MSW instead.
 *
 * @example
 * ```ts
 * const standIn = await startOpencodeStandIn()
 * standIn.enqueue(scenario().write('notes.md', '# Notes').text('Saved.'))
 * const kit = createOpencodeKit({ client: standIn.url, records, messages, permissions: 'server-defaults' })
 * // … run turns, possibly from worker processes …
 * expect(standIn.stats.sessionsCreated).toBe(1)
 * await standIn.close()
 * ```
 */
export async function startOpencodeStandIn(
  options: OpencodeStandInOptions & { port?: number } = {},
): Promise<RunningStandIn> {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const http = proc?.getBuiltinModule?.('node:http') as NodeHttp | undefined
  if (!http) throw new Error('startOpencodeStandIn needs Node.js; use standInHandlers with MSW elsewhere')
  const standIn = new OpencodeStandIn(options)
  const server = http.createServer(async (req, res) => {
    const aborted = new AbortController()
    res.on('close', () => aborted.abort())
    try {
      const chunks: Uint8Array[] = []
      if (req.method !== 'GET' && req.method !== 'HEAD') for await (const chunk of req) chunks.push(chunk)
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers.set(name, value)
        else if (Array.isArray(value)) headers.set(name, value.join(', '))
      }
      const body = chunks.length > 0 ? new Blob(chunks as BlobPart[]) : undefined
      const request = new Request(`http://127.0.0.1${req.url ?? '/'}`, {
        method: req.method,
        headers,
        body,
        signal: aborted.signal,
      })
      const response = await standIn.handle(request)
      res.writeHead(response.status, Object.fromEntries(response.headers))
      if (!response.body) return res.end()
      const reader = response.body.getReader()
      res.on('close', () => void reader.cancel().catch(() => {}))
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        res.write(value)
      }
      res.end()
    } catch {
      res.destroy() // a dropped event stream looks like a dropped socket to the client
    }
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    stats: standIn.stats,
    enqueue: (...scenarios) => void standIn.enqueue(...scenarios),
    failNext: (method, path, status, body) => void standIn.failNext(method, path, status, body),
    forgetSession: (id) => standIn.forgetSession(id),
    get sessionIds() {
      return standIn.sessionIds
    },
    idle: () => standIn.idle(),
    close: async () => {
      standIn.close()
      server.closeAllConnections?.()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
