import type { ErrorHook } from '../support/ErrorHook.js'
import { reportError } from '../support/reportError.js'
import type { TraceHook } from '../support/TraceHook.js'
import type { OpencodeMessage } from '../wire/types.js'
import { Exchange } from './Exchange.js'
import { Impostor } from './Impostor.js'
import type { RowId, StoragePort } from './ports.js'
import type { SandboxEntry, SandboxSource } from './SandboxSource.js'
import { type Transform, TransformError } from './Transform.js'

/** Most sandbox files newly attached by one {@link MessageArtifacts.attachFrom} call. */
export const MAX_SANDBOX_ARTIFACTS = 20

/** Options of {@link MessageArtifacts}. */
export interface MessageArtifactsOptions {
  storage: StoragePort
  messageId: RowId
  /** `context.feature` of error reports (default `"opencode.artifacts"`). */
  feature?: string
  /** Product rules that turn agent files into trusted artifacts; the first that applies wins. */
  transforms?: readonly Transform[]
  /**
   * `'all'` (default) attaches every safe sandbox file no transform claimed; `'none'` attaches only
   * what transforms render.
   */
  defaultAttach?: 'all' | 'none'
  /** Cap on newly attached sandbox files per call (default {@link MAX_SANDBOX_ARTIFACTS}). */
  maxSandboxFiles?: number
  /** Receives the errors it swallows (default: a concise `console.warn`). */
  onError?: ErrorHook
  /** Receives `apply_patch.artifacts_dropped` (also on `node:diagnostics_channel`). */
  onTrace?: TraceHook
}

/** Where {@link MessageArtifacts.attachFrom} looks for files. */
export interface AttachFromInput {
  /** The turn's messages (after its user message): files created by `write` tools. */
  exchange?: readonly OpencodeMessage[] | Exchange
  /** The agent's working directory: files written after `cutoff`. */
  sandbox?: SandboxSource
  /** Only sandbox files modified after this time (usually the turn's start). */
  cutoff?: Date
  /** Basenames the host copied in as the user's uploads: never echoed back as artifacts. */
  uploadEcho?: readonly string[]
}

/**
 * Turns what an agent wrote during a turn into attachments of the assistant message: files from
 * `write` tool calls and new files in the sandbox, routed through transforms (which own their
 * source and destination names, so agent bytes never land under a trusted name). Safe to retry:
 * attachment is keyed by filename. Errors go to `onError` and are never thrown.
 *
 * @example
 * ```ts
 * const artifacts = new MessageArtifacts({ storage, messageId: message.id, transforms: [new ItineraryTransform()] })
 * await artifacts.attachFrom({ exchange, sandbox: new Sandbox({ root }), cutoff: turnStartedAt })
 * console.log(artifacts.attached) // ['itinerary.html', 'notes.md']
 * ```
 */
export class MessageArtifacts {
  /** Filenames this instance attached, in order. */
  readonly attached: string[] = []
  private readonly options: Required<Omit<MessageArtifactsOptions, 'transforms' | 'onTrace' | 'onError'>> & {
    transforms: readonly Transform[]
    onError: ErrorHook | undefined
    onTrace: TraceHook | undefined
  }

  constructor(options: MessageArtifactsOptions) {
    this.options = {
      storage: options.storage,
      messageId: options.messageId,
      feature: options.feature ?? 'opencode.artifacts',
      transforms: options.transforms ?? [],
      defaultAttach: options.defaultAttach ?? 'all',
      maxSandboxFiles: options.maxSandboxFiles ?? MAX_SANDBOX_ARTIFACTS,
      onError: options.onError,
      onTrace: options.onTrace,
    }
  }

  /** Attach from the exchange, then from the sandbox. Never throws; returns `this`. */
  async attachFrom(input: AttachFromInput = {}): Promise<this> {
    try {
      if (input.exchange) await this.attachFromExchange(input.exchange)
      if (input.sandbox) await this.attachFromSandbox(input.sandbox, input.cutoff, input.uploadEcho ?? [])
    } catch (error) {
      this.report(error, 'attach_artifacts')
    }
    return this
  }

  private get ownedFilenames(): Set<string> {
    return new Set(this.options.transforms.flatMap((transform) => transform.ownedFilenames))
  }

  private async attachFromExchange(exchange: readonly OpencodeMessage[] | Exchange): Promise<void> {
    try {
      const source = exchange instanceof Exchange ? exchange : new Exchange(exchange)
      const hooks = { onError: this.options.onError, onTrace: this.options.onTrace }
      for (const artifact of source.toolArtifacts({ exclude: [...this.ownedFilenames], hooks })) {
        if (await artifact.attachTo(this.options.storage, this.options.messageId))
          this.attached.push(artifact.filename)
      }
    } catch (error) {
      this.report(error, 'attach_from_exchange')
    }
  }

  private async attachFromSandbox(
    sandbox: SandboxSource,
    cutoff: Date | undefined,
    uploadEcho: readonly string[],
  ): Promise<void> {
    try {
      if (!(await sandbox.exists())) return
      const uploaded = new Set(uploadEcho)
      const owned = this.ownedFilenames
      let count = 0
      for await (const file of sandbox.files({ after: cutoff })) {
        if (count >= this.options.maxSandboxFiles) break
        if (uploaded.has(file.basename)) continue
        const transform = this.options.transforms.find((candidate) => candidate.appliesTo(file))
        if (transform) {
          if (await this.applyTransform(transform, file)) count++
        } else if (owned.has(file.basename)) {
          // A transform's name: agent bytes must never fall through as trusted output.
        } else if (this.options.defaultAttach === 'all') {
          const artifact = await file.asArtifact()
          if (await artifact.attachTo(this.options.storage, this.options.messageId)) {
            this.attached.push(artifact.filename)
            count++
          }
        }
      }
    } catch (error) {
      this.report(error, 'attach_from_sandbox')
    }
  }

  private async applyTransform(transform: Transform, file: SandboxEntry): Promise<boolean> {
    const { storage, messageId } = this.options
    try {
      if (transform.purgeImpostors) {
        for (const impostor of await Impostor.for({ storage, messageId, transform })) await impostor.purge()
      }
      const existing = await storage.list(messageId)
      if (existing.some((attachment) => transform.trusted(attachment))) return false
      const artifact = await transform.render(file)
      const added = await artifact.attachTo(storage, messageId)
      if (added) this.attached.push(artifact.filename)
      return added
    } catch (error) {
      if (!(error instanceof TransformError)) throw error
      this.report(error, `transform_${transform.name}`)
      return false
    }
  }

  private report(error: unknown, action: string): void {
    reportError(this.options.onError, error, {
      feature: this.options.feature,
      severity: 'warning',
      action,
      messageId: this.options.messageId,
    })
  }
}
