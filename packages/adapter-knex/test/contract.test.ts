// The core contract suites, run against the knex adapter on each database. Raw reads and inserts
// use knex directly (support/knexTableSuites.ts), so the suites check what really reached the tables.
import { describeMessagePort, describeRecordPort } from '@opencode-kit/core/testing/vitest'
import { knexAdapter, opencodeMigrations } from '../src/index.js'
import { DATABASES, isolatedKnex } from './support/isolatedKnex.js'
import { insertRow, messagesRaw, subjectsRaw } from './support/knexTableSuites.js'

async function setup(name: (typeof DATABASES)[number]) {
  const db = await isolatedKnex(name)
  await db.knex.migrate.latest({ migrationSource: opencodeMigrations() })
  return db
}

for (const name of DATABASES) {
  describeRecordPort(`adapter-knex on ${name}`, async () => {
    const db = await setup(name)
    return { records: knexAdapter(db.knex).records, raw: subjectsRaw(db.knex, name), close: db.drop }
  })

  describeMessagePort(`adapter-knex on ${name}`, async () => {
    const db = await setup(name)
    const subjectId = await insertRow(db.knex, name, 'opencode_subjects', { title: 'owner' })
    return {
      messages: knexAdapter(db.knex).messages,
      raw: messagesRaw(db.knex, name, subjectId),
      close: db.drop,
    }
  })
}
