// A loopback HTTP server standing in for OpenCode's session endpoints during the race harness:
// POST /session mints `ses_<n>`, DELETE /session/:id deletes it, GET /global/health answers as a
// legacy-API server does (the client probes which API to speak); `stats` counts both so the
// harness can prove "one upstream session per subject, zero orphans" across processes.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Counts of sessions created and deleted through the counter. */
export interface SessionStats {
  created: number
  deleted: number
  /** Ids created and not deleted. */
  live: Set<string>
}

/** A running counter server. */
export interface SessionCounter {
  url: string
  stats: SessionStats
  close(): Promise<void>
}

/** Start the counter on 127.0.0.1 with a random port. */
export async function startSessionCounter(): Promise<SessionCounter> {
  const stats: SessionStats = { created: 0, deleted: 0, live: new Set() }
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const deleteMatch = /^\/session\/([^/?]+)/.exec(req.url ?? '')
      if (req.method === 'POST' && (req.url ?? '').startsWith('/session')) {
        stats.created++
        const id = `ses_${stats.created}_${Date.now().toString(36)}`
        stats.live.add(id)
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, title: '' }))
      } else if (req.method === 'GET' && req.url === '/global/health') {
        // What 1.18.33 answers; the client's API probe needs it (the counter offers no /api/*).
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ healthy: true, version: '1.18.33' }))
      } else if (req.method === 'DELETE' && deleteMatch?.[1]) {
        const existed = stats.live.delete(deleteMatch[1])
        if (existed) stats.deleted++
        res.writeHead(existed ? 200 : 404, { 'content-type': 'application/json' }).end(String(existed))
      } else {
        res.writeHead(404).end()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
