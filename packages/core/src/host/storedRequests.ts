// Read-modify-write of a message row's stored requests through the port's compare-and-set, shared
// by the turn (recording, expiring) and `replyToRequest` (answering from any process).
import { PersistenceError } from './errors.js'
import type { MessagePort, RowId, StoredRequest } from './ports.js'

/** Attempts before giving up on a row whose requests keep changing under us (it never should). */
const MAX_ATTEMPTS = 10

/**
 * Apply `change` to the row's requests until the compare-and-set holds. `change` returns the next
 * list, or `undefined` to write nothing. Resolves with what was written (or `undefined`).
 */
export async function updateStoredRequests(
  messages: MessagePort,
  messageId: RowId,
  change: (current: readonly StoredRequest[]) => StoredRequest[] | undefined,
): Promise<StoredRequest[] | undefined> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const row = await messages.load(messageId)
    const next = change(row.requests ?? [])
    if (next === undefined) return undefined
    if (await messages.updateRequests(messageId, row.requests, next)) return next
  }
  throw new PersistenceError(
    `The requests of message ${String(messageId)} kept changing; gave up after ${MAX_ATTEMPTS} tries`,
  )
}

/** `requests` with the one whose id is `id` replaced by `change(it)`. */
export function withRequest(
  requests: readonly StoredRequest[],
  id: string,
  change: (request: StoredRequest) => StoredRequest,
): StoredRequest[] {
  return requests.map((request) => (request.id === id ? change(request) : request))
}
