/**
 * What a turn does when the agent asks for a permission or asks the user a question, for turns
 * nobody may be watching. Set it per kit (`createOpencodeKit({ requests })`) and override it per
 * turn. Every field has a default: ask, and reject what is not answered within five minutes — a
 * turn never hangs on a request until its overall deadline.
 *
 * - `'ask'`: record the request on the message row and wait up to `timeoutMs` for an answer from
 *   any process (`kit.reply`); then reject it upstream and mark it `expired`.
 * - `'allow'` (permissions only): answer `once` at once.
 * - `'deny'`: reject at once.
 *
 * What the agent does after a rejection is the server's decision (usually the tool call fails and
 * the agent goes on without it); the row's `requests` say what happened to each request.
 *
 * @example
 * ```ts
 * const kit = createOpencodeKit({ client, ...ports, permissions: denyAll(), requests: { questions: 'deny', timeoutMs: 60_000 } })
 * const turn = kit.startTurn({ subjectId, messageId, prompt, requests: { permissions: 'allow' } })
 * ```
 */
export interface RequestPolicy {
  /** Permission requests: `'ask'` (default), `'allow'` (answer `once`) or `'deny'`. */
  permissions?: 'ask' | 'allow' | 'deny'
  /** Questions: `'ask'` (default) or `'deny'` (reject). */
  questions?: 'ask' | 'deny'
  /** How long an `'ask'` waits for an answer before the request is rejected as `expired` (default 300 000 ms). */
  timeoutMs?: number
}

/** The default {@link RequestPolicy}: ask, and reject after five minutes without an answer. */
export const REQUEST_POLICY_DEFAULTS: Readonly<Required<RequestPolicy>> = Object.freeze({
  permissions: 'ask',
  questions: 'ask',
  timeoutMs: 300_000,
})

/**
 * An answer to a stored request ({@link replyToRequest}, `kit.reply`): `'once'`, `'always'` or
 * `'reject'` for a permission; `{ answers }` (one array of chosen labels per question) or
 * `'reject'` for a question.
 */
export type RequestAnswer = 'once' | 'always' | 'reject' | { answers: string[][] }
