import type { MikroORM } from '@mikro-orm/core'
import { MikroOrmMessagePort } from './MikroOrmMessagePort.js'
import { MikroOrmRecordPort } from './MikroOrmRecordPort.js'
import { type MikroOrmAdapterOptions, resolveNames } from './options.js'

/** The ports {@link mikroOrmAdapter} returns. */
export interface MikroOrmAdapter {
  records: MikroOrmRecordPort
  messages: MikroOrmMessagePort
}

/**
 * The opencode-kit ports on MikroORM 6 (PostgreSQL, MySQL/MariaDB, SQLite). Register the entities
 * of `defineOpencodeEntities()` in your ORM — or map the ports onto your own entities.
 *
 * @example
 * ```ts
 * const { OpencodeSubject, OpencodeMessage } = defineOpencodeEntities()
 * const orm = await MikroORM.init({ driver: PostgreSqlDriver, clientUrl, entities: [OpencodeSubject, OpencodeMessage] })
 * const { records, messages } = mikroOrmAdapter(orm)
 * // or: mikroOrmAdapter(orm, { subjects: { entity: 'Conversation', properties: { opencodeSessionId: 'agentSession' } } })
 * ```
 */
export function mikroOrmAdapter(orm: MikroORM, options: MikroOrmAdapterOptions = {}): MikroOrmAdapter {
  const names = resolveNames(options)
  const sqlite = /sqlite/i.test(orm.em.getPlatform().constructor.name)
  return {
    records: new MikroOrmRecordPort(
      orm,
      names.subjects,
      sqlite ? (options.sqlite?.busyTimeoutMs ?? 15_000) : null,
    ),
    messages: new MikroOrmMessagePort(orm, names.messages),
  }
}
