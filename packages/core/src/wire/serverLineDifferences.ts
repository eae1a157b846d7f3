/**
 * Where the supported OpenCode lines differ on the legacy API (recorded in
 * packages/core/test/fixtures/opencode-<version>/, tabled in docs/compatibility.md), and the pure
 * functions the client uses to handle each difference. Every difference has its own test
 * (test/wire/serverLineDifferences.test.ts) and its own recorded proof.
 */
import { isObject, type OpencodeEvent } from './types.js'

/** The event routes the legacy API offers: `/event` (one directory) and `/global/event` (every directory). */
export type LegacyEventRoute = '/event' | '/global/event'

/**
 * Difference 1 — OpenCode 1.14.43–1.14.48 (anomalyco/opencode#27391, #26697): `GET /event` sends
 * `server.connected` and then ends the stream, so no session event ever arrives there;
 * `GET /global/event` works and wraps each event as `{directory, project, payload: event}` (beside
 * `{payload: {type: "sync", syncEvent}}` duplicates that belong to no session).
 *
 * A connection of `/event` that ended cleanly after its `server.connected` and nothing else is that
 * server: the client follows `/global/event` from then on (every line serves it).
 */
export function closesAfterConnected(route: LegacyEventRoute, framesAfterConnected: number): boolean {
  return route === '/event' && framesAfterConnected === 0
}

/** The event in a `/global/event` frame (`payload`); an `/event` frame is the event itself. */
export function unwrapGlobalEventFrame(frame: unknown): unknown {
  return isObject(frame) && isObject(frame.payload) && !('type' in frame) ? frame.payload : frame
}

/**
 * Difference 2 — OpenCode 1.14 answers `prompt_async` on a deleted session with 204 (1.15+: 404)
 * and then sends `session.error {error: {name: "UnknownError", data: {message: "NotFoundError: …"}}}`
 * with no idle after it. True for exactly that error, so the stream can end as the 404 would have.
 */
export function isSessionNotFoundError(event: OpencodeEvent): boolean {
  if (event.type !== 'session.error') return false
  const error = event.properties.error
  if (!isObject(error)) return false
  const message = isObject(error.data) ? error.data.message : undefined
  return error.name === 'UnknownError' && typeof message === 'string' && message.startsWith('NotFoundError')
}
