import { OpencodeError, type OpencodeErrorCode } from '../wire/errors.js'
import type { Artifact } from './Artifact.js'
import type { AttachmentInfo } from './ports.js'
import type { SandboxEntry } from './SandboxSource.js'

/** Thrown by {@link Transform.render} to skip one file (it is reported, the scan goes on). */
export class TransformError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'transform'
}

/**
 * A product rule that turns an agent-written file (data, e.g. JSON) into a trusted, host-rendered
 * artifact (e.g. HTML served from your origin). A transform owns both names: an agent can never
 * place bytes under the trusted destination name. The trust check fails closed by default.
 *
 * @example
 * ```ts
 * class ItineraryTransform extends Transform {
 *   readonly sourceFilename = 'itinerary.json'
 *   readonly destinationFilename = 'itinerary.html'
 *   async render(file: SandboxEntry) {
 *     const data = JSON.parse(new TextDecoder().decode(await file.content()))
 *     return new Artifact({ filename: this.destinationFilename, content: renderHtml(data), metadata: { trust: 'host_rendered' } })
 *   }
 *   trusted(attachment: AttachmentInfo) { return attachment.metadata.trust === 'host_rendered' }
 * }
 * ```
 */
export abstract class Transform {
  /** The file the agent writes. */
  abstract readonly sourceFilename: string
  /** The trusted file the host renders. */
  abstract readonly destinationFilename: string
  /** Render the trusted artifact from the agent's file; throw {@link TransformError} to skip it. */
  abstract render(file: SandboxEntry): Promise<Artifact>

  /** True when this transform handles `file` (default: its basename is the source name). */
  appliesTo(file: Pick<SandboxEntry, 'basename'>): boolean {
    return file.basename === this.sourceFilename
  }

  /** True when `attachment` carries the host's trust stamp. Fails closed: false unless overridden. */
  trusted(_attachment: AttachmentInfo): boolean {
    return false
  }

  /** Whether untrusted attachments under the destination name are purged before rendering. */
  get purgeImpostors(): boolean {
    return false
  }

  /** The names this transform owns: never identity-attached from the sandbox or the tool stream. */
  get ownedFilenames(): string[] {
    return [this.sourceFilename, this.destinationFilename]
  }
}
