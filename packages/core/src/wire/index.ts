/**
 * `@opencode-kit/core/wire`: the wire layer below the kit, for code that talks to OpenCode
 * directly — the `Client`, `Reply` (a session's stream folded into parts, text and usage), the SSE
 * decoder, pending prompts, the OpenCode event/message/part types, the v2 transport, version
 * checks and every typed error.
 */
export * from './Client.js'
export * from './errors.js'
export { newMessageId } from './newMessageId.js'
export * from './opencodeVersions.js'
export { type PendingPrompt, Prompts } from './Prompts.js'
export * from './Reply.js'
export type * from './ReplyObserver.js'
export { DEFAULT_MAX_FRAME_SIZE, SseDecoder, type SseDecoderOptions, type SseFrame } from './SseDecoder.js'
export type * from './types.js'
export { isEventOfType } from './types.js'
export * from './v2/index.js'
export type * from './WireClient.js'
