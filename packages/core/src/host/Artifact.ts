import { contentTypeOf } from '../wire/contentTypeOf.js'
import type { AttachmentMetadata, RowId, StoragePort } from './ports.js'

/** Fields of an {@link Artifact}. */
export interface ArtifactInit {
  filename: string
  content: Uint8Array | string
  contentType?: string
  metadata?: AttachmentMetadata
}

/**
 * A file produced by a turn (written by a tool or found in the sandbox), ready to attach to the
 * assistant message. Attachment is keyed by filename, so retrying a turn never duplicates it.
 *
 * @example
 * ```ts
 * const artifact = new Artifact({ filename: 'notes.md', content: '# Notes' })
 * const added = await artifact.attachTo(storage, message.id) // false when notes.md is already attached
 * ```
 */
export class Artifact {
  readonly filename: string
  readonly content: Uint8Array
  readonly contentType: string
  readonly metadata: AttachmentMetadata

  constructor(init: ArtifactInit) {
    this.filename = init.filename
    this.content = typeof init.content === 'string' ? new TextEncoder().encode(init.content) : init.content
    this.contentType = init.contentType ?? contentTypeOf(init.filename)
    this.metadata = Object.freeze({ ...(init.metadata ?? {}) })
  }

  /** True when the message already has an attachment with this filename. */
  async alreadyAttachedTo(storage: StoragePort, messageId: RowId): Promise<boolean> {
    const existing = await storage.list(messageId)
    return existing.some((attachment) => String(attachment.filename) === this.filename)
  }

  /**
   * Attach to the message unless an attachment with this filename exists.
   * @returns true if this call attached it, false if it was already there (nothing written).
   */
  async attachTo(storage: StoragePort, messageId: RowId): Promise<boolean> {
    if (await this.alreadyAttachedTo(storage, messageId)) return false
    await storage.attach(messageId, {
      filename: this.filename,
      body: this.content,
      contentType: this.contentType,
      metadata: this.metadata,
    })
    return true
  }

  /** Value equality over all four fields. */
  equals(other: unknown): boolean {
    if (!(other instanceof Artifact)) return false
    if (other.filename !== this.filename || other.contentType !== this.contentType) return false
    if (other.content.length !== this.content.length) return false
    for (let i = 0; i < this.content.length; i++) if (other.content[i] !== this.content[i]) return false
    const keys = Object.keys(this.metadata)
    if (keys.length !== Object.keys(other.metadata).length) return false
    return keys.every((key) => other.metadata[key] === this.metadata[key])
  }
}
