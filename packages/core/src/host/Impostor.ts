import type { AttachmentInfo, StoragePort } from './ports.js'
import type { Transform } from './Transform.js'

/**
 * An attachment that uses a transform's trusted destination name but fails its trust check (an
 * agent-written file, a legacy path, a render whose stamp no longer validates). It can purge itself.
 */
export class Impostor {
  private readonly attachment: AttachmentInfo
  private readonly storage: StoragePort

  constructor(options: { attachment: AttachmentInfo; storage: StoragePort }) {
    this.attachment = options.attachment
    this.storage = options.storage
  }

  /** Every impostor of `transform` among the message's attachments. */
  static async for(options: {
    storage: StoragePort
    messageId: AttachmentInfo['messageId']
    transform: Transform
  }): Promise<Impostor[]> {
    const attachments = await options.storage.list(options.messageId)
    return attachments
      .filter(
        (a) => String(a.filename) === options.transform.destinationFilename && !options.transform.trusted(a),
      )
      .map((attachment) => new Impostor({ attachment, storage: options.storage }))
  }

  get filename(): string {
    return String(this.attachment.filename)
  }

  /** Delete the attachment. */
  async purge(): Promise<void> {
    await this.storage.remove(this.attachment.messageId, this.filename)
  }
}
