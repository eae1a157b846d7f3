export { lastEventSeq, type RequestLike } from './lastEventSeq.js'
export { type NodeRequestLike, type NodeResponseLike, sendTurnEvents } from './sendTurnEvents.js'
export type { EventStreamOptions, EventStreamSource } from './turnEventPump.js'
export { type TurnEventResponseOptions, turnEventResponse } from './turnEventResponse.js'
