// One database, three adapters: rows written through this adapter read the same through
// adapter-knex and adapter-sequelize, and rows they write read the same here — JSON parts,
// decimals, token counts, timestamps and session ids — on SQLite, PostgreSQL and MariaDB.
import type { MessageRow } from '@opencode-kit/core'
import type { MessageFields, MessagePort, RecordPort, StoredRequest } from '@opencode-kit/core/adapter'
import type { Knex } from 'knex'
import type { Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mikroOrmAdapter } from '../src/index.js'
import { DATABASES, type IsolatedOrm, isolatedOrm } from './support/isolatedOrm.js'
import { knexAdapter, knexOn, sequelizeAdapter, sequelizeOn } from './support/otherAdapters.js'

const fields = (by: string): MessageFields => ({
  content: `written by ${by}`,
  reasoning: 'thought about it',
  parts: [
    { type: 'text', content: `written by ${by} — ünïcode "quoted"` },
    { type: 'tool', tool: 'write', state: { status: 'completed', input: { path: '/p/a.md' } } },
  ],
  toolCalls: [{ type: 'tool', tool: 'write', state: { status: 'completed' } }],
  cost: 0.001234,
  inputTokens: 1200,
  outputTokens: 34,
  cacheReadTokens: 5,
  cacheWriteTokens: 6,
})

const requests = (by: string): StoredRequest[] => [
  {
    id: `que_${by}`,
    kind: 'question',
    status: 'pending',
    request: { kind: 'question', id: `que_${by}`, questions: [{ question: `Asked by ${by} — "ok"?` }] },
    askedAt: '2026-01-02T03:04:05.000Z',
  },
]

const withoutId = ({ id: _id, ...rest }: MessageRow) => rest

describe.each(DATABASES)(
  'adapter-mikro-orm, adapter-knex and adapter-sequelize on one %s database',
  (name) => {
    let db: IsolatedOrm
    let knex: Knex
    let sequelize: Sequelize
    let ports: Record<'mikro' | 'knex' | 'sequelize', { records: RecordPort; messages: MessagePort }>
    beforeAll(async () => {
      db = await isolatedOrm(name)
      knex = knexOn(db.spec)
      sequelize = sequelizeOn(db.spec)
      ports = {
        mikro: mikroOrmAdapter(db.orm),
        knex: knexAdapter(knex),
        sequelize: sequelizeAdapter(sequelize),
      }
    })
    afterAll(async () => {
      await knex.destroy()
      await sequelize.close()
      await db.drop()
    })

    // On SQLite, knex and MikroORM store a Date as epoch milliseconds (an INTEGER); Sequelize stores
    // text and its SQLite DATE parser throws on integers, so adapter-sequelize cannot load those rows
    // yet. Pinned below with it.fails: it starts "failing" the day that gap is closed.
    const readersOf = (writer: string) =>
      (['mikro', 'knex', 'sequelize'] as const).filter(
        (reader) => !(name === 'sqlite' && reader === 'sequelize' && writer !== 'sequelize'),
      )

    it.runIf(name === 'sqlite').fails(
      'known gap: adapter-sequelize reading a SQLite row this adapter touched',
      async () => {
        const subjectId = await db.insert('opencode_subjects', { title: 'dates' })
        const messageId = await db.insert('opencode_messages', { subject_id: subjectId })
        await ports.mikro.messages.touchActivity(messageId, new Date('2026-01-02T03:04:05Z'))
        await ports.sequelize.messages.load(messageId)
      },
    )

    for (const writer of ['mikro', 'knex', 'sequelize'] as const) {
      it(`a row finalized by ${writer} reads the same through all three`, async () => {
        const subjectId = await db.insert('opencode_subjects', { title: writer })
        const messageId = await db.insert('opencode_messages', { subject_id: subjectId })
        const { records, messages } = ports[writer]
        await records.withLock(subjectId, (_row, locked) => locked.setSessionId(`ses_${writer}_${name}`))
        expect(
          await messages.snapshot(messageId, {
            content: 'so far',
            parts: [{ type: 'text', content: 'so' }],
          }),
        ).toBe(true)
        await messages.touchActivity(messageId, new Date('2026-01-02T03:04:05Z'))
        const claim = { opencodeSessionId: `ses_${writer}_${name}`, opencodeMessageId: `msg_${writer}` }
        expect(await messages.claimPrompt(messageId, claim)).toBe(true)
        expect(await messages.updateRequests(messageId, null, requests(writer))).toBe(true)
        expect(await messages.finalize(messageId, fields(writer))).toBe(true)

        const reads = await Promise.all(
          readersOf(writer).map(async (reader) => ({
            reader,
            subject: await ports[reader].records.load(subjectId),
            message: await ports[reader].messages.load(messageId),
          })),
        )
        for (const { subject, message } of reads) {
          expect(Number(subject.id)).toBe(subjectId)
          expect(subject).toMatchObject({ title: writer, opencodeSessionId: `ses_${writer}_${name}` })
          expect(Number(message.id)).toBe(messageId)
          expect(withoutId(message)).toEqual({
            ...fields(writer),
            status: 'completed',
            lastActivityAt: new Date('2026-01-02T03:04:05Z'),
            ...claim,
            requests: requests(writer),
          })
        }
        // The stored requests text compares equal whoever wrote it: any adapter's CAS holds.
        for (const other of readersOf(writer).filter((reader) => reader !== writer)) {
          const held = (await ports[other].messages.load(messageId)).requests
          expect(await ports[other].messages.updateRequests(messageId, held, requests(other))).toBe(true)
        }
      })
    }
  },
)
