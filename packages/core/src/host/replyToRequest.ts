import { type Clock, systemClock } from '../support/Clock.js'
import { InvalidArgumentError } from '../wire/errors.js'
import type { WireClient } from '../wire/WireClient.js'
import { RequestNotPendingError, RowNotFoundError } from './errors.js'
import type { MessagePort, RowId, StoredRequest } from './ports.js'
import type { RequestAnswer } from './RequestPolicy.js'
import { updateStoredRequests, withRequest } from './storedRequests.js'

/** The part of the wire client that answers requests. `Client` has it. */
export type RequestClient = Pick<WireClient, 'replyPermission' | 'replyQuestion' | 'rejectQuestion'>

/** True when `client` can answer requests (a test fake may not). */
export function canAnswerRequests(client: Partial<RequestClient>): client is RequestClient {
  return Boolean(client.replyPermission && client.replyQuestion && client.rejectQuestion)
}

/** What {@link replyToRequest} needs: the message port and the client. */
export interface ReplyToRequestOptions {
  messages: MessagePort
  client: RequestClient
  /** Stamps `resolvedAt` (default: the system clock). */
  clock?: Clock
}

/**
 * Answer a permission or question request of a running turn, from any process: the answer is
 * recorded on the message row with a compare-and-set (of two answers to one request, exactly one
 * wins; the other gets {@link RequestNotPendingError}), then sent to the server, where the turn's
 * worker sees it on its event stream and goes on. `kit.reply` is this with the kit's ports.
 *
 * If the server call fails after the answer was recorded, the error is thrown and the turn sends
 * the recorded answer itself when the request's wait ends.
 *
 * @example
 * ```ts
 * // In the web process, when the user clicks "Allow once":
 * await replyToRequest({ messages, client }, messageId, 'per_01', 'once')
 * // A question: one array of chosen labels per question.
 * await replyToRequest({ messages, client }, messageId, 'que_01', { answers: [['Yes']] })
 * ```
 */
export async function replyToRequest(
  options: ReplyToRequestOptions,
  messageId: RowId,
  requestId: string,
  answer: RequestAnswer,
): Promise<StoredRequest> {
  const clock = options.clock ?? systemClock
  let answered: StoredRequest | undefined
  await updateStoredRequests(options.messages, messageId, (requests) => {
    const request = requests.find((r) => r.id === requestId)
    if (!request) throw new RowNotFoundError(`Message ${String(messageId)} has no request ${requestId}`)
    checkAnswer(request, answer)
    if (request.status !== 'pending')
      throw new RequestNotPendingError(
        `Request ${requestId} is no longer pending (${request.status})`,
        request.status,
      )
    answered = {
      ...request,
      status: answer === 'reject' ? 'rejected' : 'answered',
      answer,
      resolvedAt: clock.date().toISOString(),
    }
    const resolved = answered
    return withRequest(requests, requestId, () => resolved)
  })
  const stored = answered as StoredRequest
  await sendAnswer(options.client, stored, answer)
  return stored
}

/** Send `answer` to the server through the route for the request's kind (and the server's API). */
export async function sendAnswer(
  client: RequestClient,
  request: Pick<StoredRequest, 'id' | 'kind' | 'sessionId'>,
  answer: RequestAnswer,
): Promise<void> {
  const session = request.sessionId === undefined ? {} : { sessionId: request.sessionId }
  if (request.kind === 'permission') {
    if (typeof answer !== 'string')
      throw new InvalidArgumentError('A permission takes once, always or reject')
    await client.replyPermission({ requestId: request.id, reply: answer, ...session })
  } else if (answer === 'reject') {
    await client.rejectQuestion({ requestId: request.id, ...session })
  } else if (typeof answer === 'object') {
    await client.replyQuestion({ requestId: request.id, answers: answer.answers, ...session })
  } else {
    throw new InvalidArgumentError('A question takes { answers } or reject')
  }
}

function checkAnswer(request: StoredRequest, answer: RequestAnswer): void {
  if (request.kind === 'permission') {
    if (answer !== 'once' && answer !== 'always' && answer !== 'reject')
      throw new InvalidArgumentError(
        `Permission request ${request.id} takes 'once', 'always' or 'reject', not ${JSON.stringify(answer)}`,
      )
    return
  }
  const valid =
    answer === 'reject' ||
    (typeof answer === 'object' &&
      answer !== null &&
      Array.isArray(answer.answers) &&
      answer.answers.every((labels) => Array.isArray(labels) && labels.every((l) => typeof l === 'string')))
  if (!valid)
    throw new InvalidArgumentError(
      `Question ${request.id} takes { answers: string[][] } or 'reject', not ${JSON.stringify(answer)}`,
    )
}
