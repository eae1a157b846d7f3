// The JSON views of a pending permission or question request, as `permission` / `question`
// TurnEvents and the message row's stored requests show them.
import type { PendingPrompt } from '../wire/Prompts.js'
import { isObject, type JsonObject } from '../wire/types.js'
import type { PermissionRequestView, QuestionRequestView } from './TurnEvent.js'

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []

/** The view of a pending permission request. */
export function permissionView(request: PendingPrompt): PermissionRequestView {
  const payload = request.payload
  const view: PermissionRequestView = {
    kind: 'permission',
    id: request.requestId,
    permission: typeof payload.permission === 'string' ? payload.permission : '',
    patterns: strings(payload.patterns),
    always: strings(payload.always),
    metadata: isObject(payload.metadata) ? structuredClone(payload.metadata) : {},
  }
  if (request.callId) view.callId = request.callId
  return view
}

/** The view of a pending question. */
export function questionView(request: PendingPrompt): QuestionRequestView {
  const questions = Array.isArray(request.payload.questions) ? request.payload.questions : []
  const view: QuestionRequestView = {
    kind: 'question',
    id: request.requestId,
    questions: questions.filter(isObject).map((question: JsonObject) => {
      const item: QuestionRequestView['questions'][number] = { question: String(question.question ?? '') }
      if (typeof question.header === 'string') item.header = question.header
      if (Array.isArray(question.options))
        item.options = question.options.filter(isObject).map((option: JsonObject) => ({
          label: String(option.label ?? ''),
          ...(typeof option.description === 'string' ? { description: option.description } : {}),
        }))
      if (typeof question.multiple === 'boolean') item.multiple = question.multiple
      return item
    }),
  }
  if (request.callId) view.callId = request.callId
  return view
}

/** The view of a pending request of either kind. */
export function requestView(request: PendingPrompt): PermissionRequestView | QuestionRequestView {
  return request.kind === 'question' ? questionView(request) : permissionView(request)
}
