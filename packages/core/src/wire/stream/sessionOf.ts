import { isObject, type OpencodeEvent } from '../types.js'

/** The session an event belongs to: `properties.sessionID`, else `info.sessionID`, else `part.sessionID`. */
export function sessionOf(event: OpencodeEvent): string | undefined {
  const props = event.properties
  if (typeof props.sessionID === 'string') return props.sessionID
  if (isObject(props.info) && typeof props.info.sessionID === 'string') return props.info.sessionID
  if (isObject(props.part) && typeof props.part.sessionID === 'string') return props.part.sessionID
  return undefined
}
