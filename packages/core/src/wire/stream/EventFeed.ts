import type { OpencodeEvent } from '../types.js'

/**
 * Where an {@link EventHub} gets its events: one server's event route for one scope (a directory
 * on the legacy API). A transport implements it; the hub adds sharing, reconnects and deadlines.
 */
export interface EventFeed {
  /**
   * Open one connection. Resolves once the response headers arrived, with the connection's events
   * in batches — one per chunk read, possibly empty (bytes without an event still prove the
   * connection alive) — ending when the connection ends. `signal` closes the connection.
   *
   * Failures: a {@link ConnectionError} when the server cannot be reached; another
   * {@link OpencodeError} (a non-2xx answer, an oversized frame) when retrying cannot help; any
   * other error (a reset, a read failure) is a transport failure the hub reconnects after.
   */
  open(
    signal: AbortSignal,
    onMalformed: (data: string, error: unknown) => void,
  ): Promise<AsyncIterable<OpencodeEvent[]>>
}
