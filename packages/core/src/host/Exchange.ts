import { trace } from '../support/trace.js'
import { extractArtifactsFromMessages } from '../wire/parseMessages.js'
import { isObject, type OpencodeMessage } from '../wire/types.js'
import { Artifact } from './Artifact.js'
import type { Hooks } from './hooks.js'

/** Why apply_patch files are not extracted (the payload of `opencode.apply_patch.artifacts_dropped`). */
const APPLY_PATCH_DROP_REASON =
  'apply_patch v1.15+ metadata does not include post-write file content; extraction requires sandbox-read which is not yet wired into ResponseParser'

/**
 * The messages of one turn (everything after the turn's user message), and the artifacts its tools
 * wrote.
 *
 * @example
 * ```ts
 * const artifacts = new Exchange(messages).toolArtifacts({ exclude: ['rendered.html'] })
 * for (const artifact of artifacts) await artifact.attachTo(storage, message.id)
 * ```
 */
export class Exchange {
  readonly messages: readonly OpencodeMessage[]

  constructor(messages: readonly OpencodeMessage[] | null | undefined) {
    this.messages = Array.isArray(messages) ? messages : []
  }

  /**
   * Files created by completed `write` tools, minus `exclude` (exact names). Each completed
   * `apply_patch` part with non-delete files emits `opencode.apply_patch.artifacts_dropped` (to
   * `hooks.onTrace` and `node:diagnostics_channel`): their content is not on the wire, so they are
   * signalled rather than silently lost.
   */
  toolArtifacts(options: { exclude?: readonly string[]; hooks?: Partial<Hooks> } = {}): Artifact[] {
    const excluded = new Set(options.exclude ?? [])
    const extracted = extractArtifactsFromMessages(this.messages)
    this.notifyDrops({ onError: options.hooks?.onError, onTrace: options.hooks?.onTrace })
    return extracted
      .filter((entry) => !excluded.has(entry.filename))
      .map(
        (entry) =>
          new Artifact({ filename: entry.filename, content: entry.content, contentType: entry.contentType }),
      )
  }

  private notifyDrops(hooks: Hooks): void {
    for (const message of this.messages) {
      if (message?.info?.role !== 'assistant') continue
      for (const part of message.parts ?? []) {
        if (part.type !== 'tool' || part.tool !== 'apply_patch' || part.state?.status !== 'completed')
          continue
        const files =
          isObject(part.state.metadata) && Array.isArray(part.state.metadata.files)
            ? part.state.metadata.files
            : []
        const eligible = files.filter(
          (file): file is Record<string, unknown> => isObject(file) && file.type !== 'delete',
        )
        if (eligible.length === 0) continue
        trace(
          hooks.onTrace,
          'apply_patch.artifacts_dropped',
          {
            fileCount: eligible.length,
            relativePaths: eligible
              .map((file) => file.relativePath)
              .filter((path) => path !== undefined && path !== null)
              .slice(0, 5),
            messageId: part.messageID,
            sessionId: part.sessionID,
            reason: APPLY_PATCH_DROP_REASON,
          },
          hooks.onError,
        )
      }
    }
  }
}
