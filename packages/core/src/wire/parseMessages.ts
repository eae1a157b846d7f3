import { contentTypeOf } from './contentTypeOf.js'
import { toolPartOf } from './toolParts.js'
import { isBlank, isObject, type OpencodeMessage, type ReplyPart, type Tokens } from './types.js'

/** Largest artifact taken from a `write` tool (and the sandbox default): 10 MiB. */
export const MAX_ARTIFACT_SIZE = 10 * 1024 * 1024

/** A file a completed `write` tool created, taken from the messages. */
export interface ExtractedArtifact {
  /** Basename of the written path. */
  filename: string
  /** The file's text as written by the tool. */
  content: string
  /** From the filename (see ContentType). */
  contentType: string
}

/** An upstream (LLM provider) error recorded on an assistant message. */
export interface ExtractedError {
  /** `APIError`, `MessageAbortedError`, … */
  name?: string
  /** `data.message`. */
  message?: string
  /** The provider's HTTP status. */
  statusCode?: number
  /** `data.isRetryable`. */
  retryable?: boolean
  /** The provider URL that failed. */
  url?: string
}

const TERMINAL_TOOL_STATUSES = new Set(['completed', 'error'])
const byteLength = (text: string) => new TextEncoder().encode(text).byteLength
const basename = (path: string) =>
  path
    .replace(/[/\\]+$/, '')
    .split(/[/\\]/)
    .pop() ?? ''

/** Text, reasoning and terminal tool parts of a message, in order, in the stored shape. */
export function extractInterleavedParts(message: OpencodeMessage | undefined): ReplyPart[] {
  const parts: ReplyPart[] = []
  for (const part of message?.parts ?? []) {
    if (part.type === 'text' || part.type === 'reasoning') {
      parts.push({ type: part.type, content: String(part.text ?? '') })
    } else if (part.type === 'tool' && TERMINAL_TOOL_STATUSES.has(String(part.state?.status))) {
      parts.push(toolPartOf(part))
    }
  }
  return parts
}

/** The message's text parts joined by a blank line. */
export function extractText(message: OpencodeMessage | undefined): string {
  return (message?.parts ?? [])
    .filter((part) => part.type === 'text')
    .map((part) => String(part.text ?? ''))
    .join('\n\n')
}

/** `info.error` flattened, absent keys dropped; undefined when there is no error object. */
export function extractError(message: OpencodeMessage | undefined): ExtractedError | undefined {
  const error = message?.info?.error
  if (!isObject(error)) return undefined
  const data = isObject(error.data) ? error.data : {}
  const metadata = isObject(data.metadata) ? data.metadata : {}
  const result: ExtractedError = {}
  if (typeof error.name === 'string') result.name = error.name
  if (typeof data.message === 'string') result.message = data.message
  if (typeof data.statusCode === 'number') result.statusCode = data.statusCode
  if (typeof data.isRetryable === 'boolean') result.retryable = data.isRetryable
  if (typeof metadata.url === 'string') result.url = metadata.url
  return result
}

/** `info.cost` of the message (one model step). */
export function extractCost(message: OpencodeMessage | undefined): number | undefined {
  const cost = message?.info?.cost
  return typeof cost === 'number' ? cost : undefined
}

/** `info.tokens` of the message. */
export function extractTokens(message: OpencodeMessage | undefined): Tokens | undefined {
  const tokens = message?.info?.tokens
  return isObject(tokens) ? tokens : undefined
}

/** Cache read/write tokens, 0 when absent. */
export function extractCacheTokens(message: OpencodeMessage | undefined): {
  cacheRead: number
  cacheWrite: number
} {
  const cache = message?.info?.tokens?.cache
  return { cacheRead: Number(cache?.read ?? 0) || 0, cacheWrite: Number(cache?.write ?? 0) || 0 }
}

/**
 * Files created by completed `write` tools of assistant messages: basename of `filePath`, the
 * content, a content type from the name. Blank paths or contents and files over
 * {@link MAX_ARTIFACT_SIZE} are skipped; the first file of a name wins.
 */
export function extractArtifactsFromMessages(messages: unknown): ExtractedArtifact[] {
  if (!Array.isArray(messages)) return []
  const seen = new Set<string>()
  const artifacts: ExtractedArtifact[] = []
  for (const message of messages as OpencodeMessage[]) {
    if (message?.info?.role !== 'assistant') continue
    for (const part of message.parts ?? []) {
      if (part.type !== 'tool' || part.tool !== 'write' || part.state?.status !== 'completed') continue
      const input = isObject(part.state.input) ? part.state.input : {}
      const path = typeof input.filePath === 'string' ? input.filePath : ''
      const content = typeof input.content === 'string' ? input.content : ''
      if (isBlank(path) || isBlank(content) || byteLength(content) > MAX_ARTIFACT_SIZE) continue
      const filename = basename(path)
      if (!filename || seen.has(filename)) continue
      seen.add(filename)
      artifacts.push({ filename, content, contentType: contentTypeOf(filename) })
    }
  }
  return artifacts
}
