// The core contract suites against the Prisma adapter on each database, on the tables adapter-knex's
// migration creates (the shipped Prisma models must match them); raw reads and inserts with knex.
import { describeMessagePort, describeRecordPort } from '@opencode-kit/core/testing/vitest'
import { messagesRaw, subjectsRaw } from '../../adapter-knex/test/support/knexTableSuites.js'
import { prismaAdapter } from '../src/index.js'
import { DATABASES, isolatedPrisma } from './support/isolatedPrisma.js'

for (const name of DATABASES) {
  describeRecordPort(`adapter-prisma on ${name}`, async () => {
    const db = await isolatedPrisma(name)
    return { records: prismaAdapter(db.prisma).records, raw: subjectsRaw(db.knex, name), close: db.drop }
  })

  describeMessagePort(`adapter-prisma on ${name}`, async () => {
    const db = await isolatedPrisma(name)
    const subjectId = await db.insert('opencode_subjects', { title: 'owner' })
    return {
      messages: prismaAdapter(db.prisma).messages,
      raw: messagesRaw(db.knex, name, subjectId),
      close: db.drop,
    }
  })
}
