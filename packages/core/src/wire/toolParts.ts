import { isBlank, isObject, type JsonObject, type ToolPartRecord, truncate, type WirePart } from './types.js'

/**
 * A message's tool part in the canonical stored shape (wire field names kept):
 * `{type:"tool", tool, status, title?, input?, metadata?, output?, error?}`, blank fields dropped,
 * `error` only for status `error`, truncated to 200 characters.
 *
 * @example
 * ```ts
 * toolPartOf({ type: 'tool', tool: 'bash', state: { status: 'completed', output: 'ok' } })
 * // { type: 'tool', tool: 'bash', status: 'completed', output: 'ok' }
 * ```
 */
export function toolPartOf(part: WirePart): ToolPartRecord {
  const state = isObject(part.state) ? part.state : {}
  const record: ToolPartRecord = { type: 'tool', tool: String(part.tool ?? '') }
  if (!isBlank(state.status)) record.status = String(state.status)
  if (!isBlank(state.title)) record.title = String(state.title)
  if (isObject(state.input) && Object.keys(state.input).length > 0) record.input = state.input
  if (isObject(state.metadata) && Object.keys(state.metadata).length > 0) record.metadata = state.metadata
  if (!isBlank(state.output)) record.output = String(state.output)
  if (state.status === 'error' && !isBlank(state.error)) record.error = truncate(String(state.error))
  return record
}

/**
 * Overwrite `record` (in place) with every field a streamed tool part carries a value for. Blank
 * values (`null`, `""`, `{}`) overwrite nothing: a later update that omits a field in that way
 * must not wipe the title or input seen before.
 */
export function mergeToolState(record: ToolPartRecord, part: WirePart): ToolPartRecord {
  const state: JsonObject = isObject(part.state) ? part.state : {}
  if (typeof part.tool === 'string' && part.tool !== 'invalid') record.tool = part.tool
  if (!isBlank(state.status)) record.status = String(state.status)
  if (!isBlank(state.title)) record.title = String(state.title)
  if (isObject(state.input) && Object.keys(state.input).length > 0) record.input = state.input
  if (isObject(state.metadata) && Object.keys(state.metadata).length > 0) record.metadata = state.metadata
  if (!isBlank(state.output)) record.output = String(state.output)
  if (!isBlank(state.error)) record.error = truncate(String(state.error))
  if (typeof part.callID === 'string') record.callID = part.callID
  if (typeof part.messageID === 'string') record.messageID = part.messageID
  return record
}
