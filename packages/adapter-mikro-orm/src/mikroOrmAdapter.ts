import type { EntityManager, MikroORM } from '@mikro-orm/core'
import { MikroOrmMessagePort } from './MikroOrmMessagePort.js'
import { MikroOrmRecordPort } from './MikroOrmRecordPort.js'
import { type MikroOrmAdapterOptions, resolveNames } from './options.js'

/**
 * The ports {@link mikroOrmAdapter} returns, ready for `Session` and `Turn`.
 *
 * @example
 * ```ts
 * const { records, messages }: MikroOrmAdapter = mikroOrmAdapter(orm)
 * const session = new Session({ subject: await records.load(subjectId), records, client })
 * ```
 */
export interface MikroOrmAdapter {
  records: MikroOrmRecordPort
  messages: MikroOrmMessagePort
}

/**
 * The opencode-kit ports on MikroORM 6 (PostgreSQL, MySQL/MariaDB, SQLite). Pass the `MikroORM`
 * instance or any of its EntityManagers (`orm.em`, a request-scoped em): every port call works on a
 * fresh `fork()` of it, never on the one you pass, so nothing lands in your identity map and no
 * transaction of yours is joined. Register `OpencodeSubjectSchema` and `OpencodeMessageSchema` (or the entities
 * of `defineOpencodeEntities()`) in your ORM — or map the ports onto your own entities.
 *
 * @example
 * ```ts
 * const { OpencodeSubjectSchema, OpencodeMessageSchema } = defineOpencodeEntities()
 * const orm = await MikroORM.init({ driver: PostgreSqlDriver, clientUrl, entities: [OpencodeSubjectSchema, OpencodeMessageSchema] })
 * const { records, messages } = mikroOrmAdapter(orm)
 * // or: mikroOrmAdapter(orm, { subjects: { entity: 'Conversation', properties: { opencodeSessionId: 'agentSession' } } })
 * ```
 */
export function mikroOrmAdapter(
  orm: MikroORM | EntityManager,
  options: MikroOrmAdapterOptions = {},
): MikroOrmAdapter {
  const names = resolveNames(orm, options)
  // Duck-typed rather than `instanceof`: a second copy of @mikro-orm/core must not break it.
  const em = 'fork' in orm ? orm : orm.em
  const sqlite = /sqlite/i.test(em.getPlatform().constructor.name)
  return {
    records: new MikroOrmRecordPort(
      em,
      names.subjects,
      sqlite ? (options.sqlite?.busyTimeoutMs ?? 15_000) : null,
    ),
    messages: new MikroOrmMessagePort(em, names.messages),
  }
}
