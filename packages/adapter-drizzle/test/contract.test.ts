// The core contract suites against the Drizzle adapter on each database, on the tables adapter-knex's
// migration creates (the Drizzle tables must match them); raw reads and inserts with knex.
import { describeMessagePort, describeRecordPort } from '@opencode-kit/core/testing/vitest'
import { messagesRaw, subjectsRaw } from '../../adapter-knex/test/support/knexTableSuites.js'
import { drizzleAdapter } from '../src/index.js'
import { DATABASES, isolatedDrizzle } from './support/isolatedDrizzle.js'

for (const name of DATABASES) {
  describeRecordPort(`adapter-drizzle on ${name}`, async () => {
    const db = await isolatedDrizzle(name)
    return { records: drizzleAdapter(db.db).records, raw: subjectsRaw(db.knex, name), close: db.drop }
  })

  describeMessagePort(`adapter-drizzle on ${name}`, async () => {
    const db = await isolatedDrizzle(name)
    const subjectId = await db.insert('opencode_subjects', { title: 'owner' })
    return {
      messages: drizzleAdapter(db.db).messages,
      raw: messagesRaw(db.knex, name, subjectId),
      close: db.drop,
    }
  })
}
