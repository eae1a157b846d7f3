/**
 * `@opencode-kit/core/browser`: read a turn's events from a server's event-stream endpoint in the
 * browser, and fold them into a view a UI renders. Tiny, dependency-free ESM; runs in browsers,
 * web workers, Node, Bun and Deno.
 */
export type {
  PermissionRequestView,
  QuestionRequestView,
  TodoView,
  ToolView,
  TurnEvent,
  TurnEventError,
  TurnStatus,
  TurnUsage,
} from '../host/TurnEvent.js'
export { BadRequestError, ConnectionError, OpencodeError, ServerError } from '../wire/errors.js'
export {
  foldTurnEvent,
  initialTurnView,
  type TurnView,
  type TurnViewPart,
  type TurnViewRequest,
} from './foldTurnEvent.js'
export { type ReadTurnEventsOptions, readTurnEvents } from './readTurnEvents.js'
