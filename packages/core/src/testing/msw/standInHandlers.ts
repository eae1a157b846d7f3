import { http } from 'msw'
import type { OpencodeStandIn } from '../standin/OpencodeStandIn.js'

/**
 * MSW request handlers that serve `standIn` at `baseUrl`, for in-process tests with
 * `setupServer` (msw/node) or `setupWorker`.
 *
 * @example
 * ```ts
 * import { setupServer } from 'msw/node'
 * const standIn = new OpencodeStandIn()
 * const server = setupServer(...standInHandlers(standIn, { baseUrl: 'http://opencode.test' }))
 * server.listen({ onUnhandledRequest: 'error' })
 * ```
 */
export function standInHandlers(standIn: OpencodeStandIn, options: { baseUrl: string }) {
  const base = options.baseUrl.replace(/\/+$/, '')
  return [http.all(`${base}/*`, ({ request }) => standIn.handle(request))]
}
