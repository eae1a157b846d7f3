/** What {@link lastEventSeq} reads: a Fetch `Request`, or a Node request (`IncomingMessage`). */
export type RequestLike =
  | { headers: Headers; url: string }
  | { headers: Record<string, string | string[] | undefined>; url?: string }

/**
 * The `seq` a client last saw: the `Last-Event-ID` header (sent by a reconnecting `EventSource`
 * and by `readTurnEvents`), else the `after` query parameter (a page that kept its place), else 0
 * (from the start). Anything that is not a non-negative integer counts as 0.
 *
 * @example
 * ```ts
 * const after = lastEventSeq(request) // 17 for `Last-Event-ID: 17` or `?after=17`
 * ```
 */
export function lastEventSeq(request: RequestLike): number {
  const header =
    request.headers instanceof Headers
      ? request.headers.get('last-event-id')
      : request.headers['last-event-id']
  const fromHeader = parseSeq(Array.isArray(header) ? header[0] : header)
  if (fromHeader !== undefined) return fromHeader
  if (!request.url) return 0
  const query = request.url.indexOf('?')
  if (query === -1) return 0
  return parseSeq(new URLSearchParams(request.url.slice(query + 1)).get('after')) ?? 0
}

function parseSeq(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined
  const trimmed = value.trim()
  if (!/^\d{1,15}$/.test(trimmed)) return undefined
  return Number(trimmed)
}
