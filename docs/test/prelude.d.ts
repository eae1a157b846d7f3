// What the documentation's code samples may use without defining: the host app's own objects
// (an HTTP app, a knex instance, the ports…) and minimal shapes of third-party libraries the repo
// does not install. Everything from opencode-kit itself is imported by the samples.

import type { MikroORM } from '@mikro-orm/core'
import type { Client, MessageRow, OpencodeKit, RowId, Session, SubjectRow } from '@opencode-kit/core'
import type { AttachmentInfo, MessagePort, RecordPort, StoragePort } from '@opencode-kit/core/adapter'
import type { Reply } from '@opencode-kit/core/wire'
import type { Knex } from 'knex'
import type { ModelStatic, Sequelize } from 'sequelize'

declare global {
  // biome-ignore lint/suspicious/noExplicitAny: request/response shapes of whatever web framework the host uses
  type HostHandler = (req: any, res: any) => unknown
  const app: { get(path: string, handler: HostHandler): void; post(path: string, handler: HostHandler): void }
  const knex: Knex
  const orm: MikroORM
  const sequelize: Sequelize
  // biome-ignore lint/suspicious/noExplicitAny: the host's own Sequelize models
  const Conversation: ModelStatic<any>
  // biome-ignore lint/suspicious/noExplicitAny: the host's own Sequelize models
  const ChatMessage: ModelStatic<any>
  // biome-ignore lint/suspicious/noExplicitAny: a response object of the host's web framework
  const res: any
  /** The incoming request of the host's web framework (Fetch-style). */
  const request: Request
  const info: AttachmentInfo
  const id: RowId
  const subjectId: RowId
  const signal: AbortSignal
  const baseUrl: string
  const yourMigrations: { name: string; up: () => Promise<void>; down?: () => Promise<void> }[]
  function broadcast(channel: string, payload: unknown): void
  const records: RecordPort
  const messages: MessagePort
  const client: Client
  const storage: StoragePort
  const session: Session
  const subject: SubjectRow
  const message: MessageRow
  const messageId: RowId
  const sessionId: string
  /** The app's configured kit (see createOpencodeKit). */
  const kit: OpencodeKit
  const reply: Reply
  const bytes: Uint8Array
  const turnStartedAt: Date
  const socket: { send(data: unknown): void }
  const logger: { info(payload: unknown, message?: string): void; error(error: unknown): void }
  const metrics: {
    histogram(name: string, value: number, tags?: Record<string, string>): void
    increment(name: string, value?: number): void
    record(payload: unknown): void
  }
  function send(event: unknown): void
  function renderHtml(data: unknown): string
}
