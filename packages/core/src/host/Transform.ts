import { OpencodeError, type OpencodeErrorCode } from '../wire/errors.js'
import { Artifact, type ArtifactInit } from './Artifact.js'
import type { AttachmentInfo } from './ports.js'
import type { SandboxEntry } from './SandboxSource.js'

/** Thrown by a transform's `render` to skip one file (it is reported, the scan goes on). */
export class TransformError extends OpencodeError {
  override readonly code: OpencodeErrorCode = 'transform'
}

/** What a transform's `render` returns: the artifact's fields; `filename` defaults to the destination name. */
export type RenderedArtifact = Omit<ArtifactInit, 'filename'> & { filename?: string }

/** What {@link defineTransform} takes: the two names, `render`, and the optional rules. */
export interface TransformDefinition {
  /** Names the transform in error reports (`action: 'transform_<name>'`; default: `sourceFilename`). */
  name?: string
  /** The file the agent writes. */
  sourceFilename: string
  /** The trusted file the host renders. */
  destinationFilename: string
  /** Render the trusted artifact from the agent's file; throw {@link TransformError} to skip it. */
  render(file: SandboxEntry): RenderedArtifact | Artifact | Promise<RenderedArtifact | Artifact>
  /** True when `attachment` carries the host's trust stamp. Default: false, so the check fails closed. */
  trusted?(attachment: AttachmentInfo): boolean
  /** True when this transform handles `file` (default: its basename is `sourceFilename`). */
  appliesTo?(file: Pick<SandboxEntry, 'basename'>): boolean
  /** Purge untrusted attachments under the destination name before rendering (default false). */
  purgeImpostors?: boolean
}

/** A product rule that turns an agent-written file into a trusted, host-rendered artifact; made by {@link defineTransform}. */
export interface Transform {
  readonly name: string
  readonly sourceFilename: string
  readonly destinationFilename: string
  readonly purgeImpostors: boolean
  /** The names this transform owns: never identity-attached from the sandbox or the tool stream. */
  readonly ownedFilenames: readonly string[]
  render(file: SandboxEntry): Promise<Artifact>
  trusted(attachment: AttachmentInfo): boolean
  appliesTo(file: Pick<SandboxEntry, 'basename'>): boolean
}

/**
 * Define a product rule that turns an agent-written file (data, e.g. JSON) into a trusted,
 * host-rendered artifact (e.g. HTML served from your origin). A transform owns both names: an
 * agent can never place bytes under the trusted destination name. The trust check fails closed
 * unless you give `trusted`.
 *
 * @example
 * ```ts
 * const itinerary = defineTransform({
 *   sourceFilename: 'itinerary.json',
 *   destinationFilename: 'itinerary.html',
 *   async render(file) {
 *     const data = JSON.parse(new TextDecoder().decode(await file.content()))
 *     return { content: renderHtml(data), metadata: { trust: 'host_rendered' } }
 *   },
 *   trusted: (attachment) => attachment.metadata.trust === 'host_rendered',
 * })
 * const kit = createOpencodeKit({ client, records, messages, storage, permissions: denyAll(), transforms: [itinerary] })
 * ```
 */
export function defineTransform(definition: TransformDefinition): Transform {
  const { sourceFilename, destinationFilename } = definition
  return Object.freeze({
    name: definition.name ?? sourceFilename,
    sourceFilename,
    destinationFilename,
    purgeImpostors: definition.purgeImpostors ?? false,
    ownedFilenames: Object.freeze([sourceFilename, destinationFilename]),
    async render(file: SandboxEntry): Promise<Artifact> {
      const rendered = await definition.render(file)
      return rendered instanceof Artifact
        ? rendered
        : new Artifact({ ...rendered, filename: rendered.filename ?? destinationFilename })
    },
    trusted: (attachment: AttachmentInfo) => definition.trusted?.(attachment) ?? false,
    appliesTo: (file: Pick<SandboxEntry, 'basename'>) =>
      definition.appliesTo ? definition.appliesTo(file) : file.basename === sourceFilename,
  })
}
