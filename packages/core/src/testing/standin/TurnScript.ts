import type { JsonObject, OpencodeEvent, OpencodeMessage } from '../../wire/types.js'
import type { IdSource } from './IdSource.js'
import type { ScenarioSpec, ScenarioTokens } from './Scenario.js'

/** A mutable message as the stand-in stores it. */
export interface StoredMessage {
  info: JsonObject
  parts: JsonObject[]
  /**
   * Text so far of the parts still streaming, by part id. Like the real 1.18.33 server, the stored
   * part says `text: ""` until it ends; an abort writes what streamed (see `flushStreaming`).
   */
  streaming?: Record<string, string>
}

/** One step of a rendered turn, played in order by the stand-in. */
export type ScriptStep =
  | { type: 'event'; event: OpencodeEvent; effect?: (messages: StoredMessage[]) => void }
  /** Drop every open event stream, then wait for a client to reconnect. */
  | { type: 'disconnect' }
  /** Stop playing: no idle, the turn never finishes. */
  | { type: 'stall' }
  /** Emit `event` (a permission or question request), then wait for its reply. */
  | { type: 'await'; requestId: string; kind: 'permission' | 'question'; event: OpencodeEvent }

/** What the stand-in needs to render a turn. */
export interface TurnContext {
  sessionId: string
  prompt: string
  agent: string
  ids: IdSource
  now: () => number
  directory: string
  /** The user message id the client chose (`messageID` of the prompt); minted when absent. */
  userMessageId?: string
}

const MODEL = { providerID: 'standin', modelID: 'standin-model' }
const zeroTokens = () => ({ total: 0, input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } })
const tokensOf = (tokens: ScenarioTokens) => ({
  total: tokens.input + tokens.output + (tokens.reasoning ?? 0),
  input: tokens.input,
  output: tokens.output,
  reasoning: tokens.reasoning ?? 0,
  cache: { read: tokens.cache?.read ?? 0, write: tokens.cache?.write ?? 0 },
})
const words = (text: string) => text.match(/\S+\s*|\s+/g) ?? []
const clone = <T>(value: T): T => structuredClone(value)

const find = (messages: StoredMessage[], id: string) => messages.find((m) => m.info.id === id)
const upsertPart = (messages: StoredMessage[], part: JsonObject) => {
  const message = find(messages, String(part.messageID))
  if (!message) return
  const index = message.parts.findIndex((p) => p.id === part.id)
  if (index === -1) message.parts.push(clone(part))
  else message.parts[index] = clone(part)
}

/**
 * Renders a scenario into the steps a real OpenCode 1.18 server emits for one prompt: the user
 * message and its own text part, `session.status` busy, then per model step an assistant message
 * (`step-start`, text/reasoning deltas, tool state transitions, `step-finish` with cost and tokens,
 * `finish` and `time.completed`), and finally `session.status` idle plus the legacy `session.idle`.
 * Each step carries the effect it has on the stored messages, so `GET /session/:id/message`
 * always matches what the stream has said so far.
 */
export function renderTurn(spec: ScenarioSpec, ctx: TurnContext): ScriptStep[] {
  const { sessionId, ids, now } = ctx
  const steps: ScriptStep[] = []
  const emit = (type: string, properties: JsonObject, effect?: (messages: StoredMessage[]) => void) =>
    steps.push({
      type: 'event',
      event: {
        id: ids.next('evt'),
        type,
        properties: { sessionID: sessionId, ...properties },
      } as OpencodeEvent,
      effect,
    })
  const partEvent = (part: JsonObject) =>
    emit('message.part.updated', { part: clone(part), time: now() }, (messages) => upsertPart(messages, part))

  // The user's message, and its own text part on the stream (a reply must not take it as its text).
  const userId = ctx.userMessageId ?? ids.next('msg')
  const userInfo = {
    id: userId,
    sessionID: sessionId,
    role: 'user',
    time: { created: now() },
    agent: ctx.agent,
    model: MODEL,
  }
  const userPart = {
    id: ids.next('prt'),
    sessionID: sessionId,
    messageID: userId,
    type: 'text',
    text: ctx.prompt,
  }
  emit('message.updated', { info: clone(userInfo) }, (messages) => {
    messages.push({ info: clone(userInfo), parts: [clone(userPart)] })
  })
  emit('message.part.updated', { part: clone(userPart), time: now() })
  if (spec.failPrompt) return steps
  emit('session.status', { status: { type: 'busy' } })

  let assistant: JsonObject | undefined
  let stepCost = 0
  let stepTokens = zeroTokens()
  let ended = false

  const startAssistant = () => {
    const info: JsonObject = {
      id: ids.next('msg'),
      sessionID: sessionId,
      role: 'assistant',
      time: { created: now() },
      parentID: userId,
      modelID: MODEL.modelID,
      providerID: MODEL.providerID,
      mode: ctx.agent,
      agent: ctx.agent,
      path: { cwd: ctx.directory, root: ctx.directory },
      cost: 0,
      tokens: zeroTokens(),
    }
    assistant = info
    stepCost = 0
    stepTokens = zeroTokens()
    const snapshot = clone(info)
    emit('message.updated', { info: snapshot }, (messages) =>
      messages.push({ info: clone(snapshot), parts: [] }),
    )
    partEvent({ id: ids.next('prt'), messageID: info.id, sessionID: sessionId, type: 'step-start' })
  }
  const current = () => {
    if (!assistant) startAssistant()
    return assistant as JsonObject
  }
  const finishStep = (reason: 'stop' | 'tool-calls', afterFinish: JsonObject[] = []) => {
    const info = current()
    partEvent({
      id: ids.next('prt'),
      reason,
      messageID: info.id,
      sessionID: sessionId,
      type: 'step-finish',
      tokens: clone(stepTokens),
      cost: stepCost,
    })
    const finished: JsonObject = { ...clone(info), cost: stepCost, tokens: clone(stepTokens), finish: reason }
    emit('message.updated', { info: clone(finished) })
    for (const part of afterFinish) partEvent(part) // e.g. a write's patch part, where the real server puts it
    const completed =
      spec.unfinished && reason === 'stop'
        ? { ...finished, finish: 'tool-calls' } // keepWorking(): the messages never show the end
        : { ...finished, time: { ...(finished.time as JsonObject), completed: now() } }
    emit('message.updated', { info: clone(completed) }, (messages) => {
      const message = find(messages, String(info.id))
      if (message) message.info = clone(completed)
    })
    assistant = undefined
  }
  /** Stream one text or reasoning part; false when it stalled mid-part (`stallAfter`). */
  const streamed = (type: 'text' | 'reasoning', text: string, chunks?: string[], stallAfter?: number) => {
    const info = current()
    const part: JsonObject = {
      id: ids.next('prt'),
      messageID: info.id,
      sessionID: sessionId,
      type,
      text: '',
      time: { start: now() },
    }
    partEvent(part)
    let sofar = ''
    const deltas = chunks ?? words(text)
    for (const delta of stallAfter === undefined ? deltas : deltas.slice(0, stallAfter)) {
      sofar += delta
      const value = sofar
      // Reasoning deltas also say field "text": the part's type is known only from its announcement.
      emit(
        'message.part.delta',
        { messageID: info.id, partID: part.id, field: 'text', delta },
        (messages) => {
          const message = find(messages, String(info.id))
          if (message) message.streaming = { ...message.streaming, [String(part.id)]: value }
        },
      )
    }
    if (stallAfter !== undefined) return false
    const ended = { ...part, text, time: { start: (part.time as JsonObject).start, end: now() } }
    emit('message.part.updated', { part: clone(ended), time: now() }, (messages) => {
      upsertPart(messages, ended)
      const message = find(messages, String(info.id))
      if (message?.streaming) delete message.streaming[String(part.id)]
    })
    return true
  }
  const toolCall = (name: string, input: JsonObject, end: JsonObject, extra?: () => void) => {
    const info = current()
    const base = {
      id: ids.next('prt'),
      messageID: info.id,
      sessionID: sessionId,
      type: 'tool',
      tool: name,
      callID: ids.next('call'),
    }
    partEvent({ ...base, state: { status: 'pending', input: {}, raw: '' } })
    extra?.()
    const start = now()
    partEvent({ ...base, state: { status: 'running', input, time: { start } } })
    partEvent({ ...base, state: { ...end, input, time: { start, end: now() } } })
    return base
  }

  for (const step of spec.steps) {
    if (ended) break
    switch (step.kind) {
      case 'text':
        if (!streamed('text', step.text, step.chunks, step.stallAfter)) {
          steps.push({ type: 'stall' })
          ended = true
        }
        break
      case 'reasoning':
        streamed('reasoning', step.text, step.chunks)
        break
      case 'cost':
        current()
        stepCost += step.usd
        if (step.tokens) stepTokens = tokensOf(step.tokens)
        break
      case 'tool': {
        const { tool } = step
        const end =
          tool.error !== undefined
            ? { status: 'error', error: tool.error }
            : {
                status: 'completed',
                output: tool.output ?? 'ok',
                title: tool.title ?? tool.name,
                metadata: tool.metadata ?? {},
              }
        const call = toolCall(tool.name, tool.input, end)
        const patch: JsonObject[] =
          tool.name === 'write' && tool.error === undefined
            ? [
                {
                  id: ids.next('prt'),
                  messageID: call.messageID,
                  sessionID: sessionId,
                  type: 'patch',
                  hash: 'standin',
                  files: [tool.input.filePath],
                },
              ]
            : []
        finishStep('tool-calls', patch)
        break
      }
      case 'todo': {
        const todos = step.todos.map((todo, i) => ({ priority: 'medium', id: String(i + 1), ...todo }))
        toolCall(
          'todowrite',
          { todos },
          {
            status: 'completed',
            output: JSON.stringify(todos, null, 2),
            title: `${todos.filter((t) => t.status !== 'completed').length} todos`,
            metadata: { todos },
          },
          () => emit('todo.updated', { todos }),
        )
        finishStep('tool-calls')
        break
      }
      case 'retry':
        current()
        for (let attempt = 1; attempt <= step.attempts; attempt++) {
          emit('session.status', {
            status: { type: 'retry', attempt, message: step.message, next: now() + 2000 * attempt },
          })
        }
        break
      case 'llmError': {
        const info = current()
        const error = {
          name: 'APIError',
          data: {
            message: step.message,
            statusCode: step.statusCode,
            isRetryable: false,
            metadata: { url: 'http://standin.invalid/v1/chat/completions' },
          },
        }
        const failed = { ...clone(info), error, time: { ...(info.time as JsonObject), completed: now() } }
        // The failure is stored before it is announced, so a poll right after the event sees it.
        emit('session.error', { error: clone(error) }, (messages) => {
          const message = find(messages, String(info.id))
          if (message) {
            message.info = clone(failed)
            message.parts = [] // a rejected request leaves no parts
          }
        })
        emit('session.status', { status: { type: 'idle' } })
        emit('session.idle', {})
        emit('message.updated', { info: clone(failed) })
        assistant = undefined
        ended = true
        break
      }
      case 'permission': {
        const info = current()
        const requestId = ids.next('per')
        steps.push({
          type: 'await',
          kind: 'permission',
          requestId,
          event: {
            id: ids.next('evt'),
            type: 'permission.asked',
            properties: {
              id: requestId,
              sessionID: sessionId,
              permission: step.permission,
              patterns: step.patterns,
              metadata: {},
              always: [],
              tool: { messageID: info.id, callID: ids.next('call') },
            },
          } as OpencodeEvent,
        })
        break
      }
      case 'question': {
        current()
        const requestId = ids.next('que')
        steps.push({
          type: 'await',
          kind: 'question',
          requestId,
          event: {
            id: ids.next('evt'),
            type: 'question.asked',
            properties: {
              id: requestId,
              sessionID: sessionId,
              questions: [
                {
                  question: step.question,
                  header: 'Question',
                  options: step.options.map((label) => ({ label })),
                },
              ],
            },
          } as OpencodeEvent,
        })
        break
      }
      case 'disconnect':
        if (step.afterEvents === undefined) steps.push({ type: 'disconnect' })
        break
      case 'stall':
        steps.push({ type: 'stall' })
        ended = true
        break
    }
  }
  // The last step ends with finish "stop" (after a tool call, the model answers once more).
  if (!ended) finishStep('stop')
  if (!steps.some((s) => s.type === 'stall')) {
    emit('session.status', { status: { type: 'idle' } })
    emit('session.idle', {})
  }
  // disconnectAfter(n): drop the streams after the n-th event of the turn.
  const after = spec.steps.find((s) => s.kind === 'disconnect' && s.afterEvents !== undefined)
  if (after && after.kind === 'disconnect' && after.afterEvents !== undefined) {
    let seen = 0
    const index = steps.findIndex((s) => s.type === 'event' && ++seen > (after.afterEvents ?? 0))
    if (index >= 0) steps.splice(index, 0, { type: 'disconnect' })
  }
  return steps
}

/** A read-only copy of stored messages, as `GET /session/:id/message` answers. */
export const snapshotMessages = (messages: StoredMessage[]): OpencodeMessage[] =>
  messages.map(({ info, parts }) => clone({ info, parts })) as unknown as OpencodeMessage[]

/**
 * What the real server does to a part still streaming when the turn is aborted: it stores the
 * text so far and ends the part. Returns the ended parts (each goes out as `message.part.updated`).
 */
export function flushStreaming(message: StoredMessage, end: number): JsonObject[] {
  const ended: JsonObject[] = []
  for (const [id, text] of Object.entries(message.streaming ?? {})) {
    const index = message.parts.findIndex((p) => p.id === id)
    const part = message.parts[index]
    if (!part) continue
    const time = typeof part.time === 'object' && part.time !== null ? (part.time as JsonObject) : {}
    message.parts[index] = { ...part, text, time: { ...time, end } }
    ended.push(clone(message.parts[index] as JsonObject))
  }
  message.streaming = undefined
  return ended
}
