// Ports module for the race harness (test-utils/race): the Prisma adapter on the database named
// by RACE_KNEX_SPEC (a JSON KnexSpec of the test's isolated database).

import type { RacePortsModule } from '../../../../test-utils/race/harness.js'
import type { KnexSpec } from '../../../adapter-knex/test/support/isolatedKnex.js'
import { prismaAdapter } from '../../src/index.js'
import { connectPrisma } from './isolatedPrisma.js'

export const buildPorts: RacePortsModule['buildPorts'] = async (env) => {
  const { prisma, close } = await connectPrisma(JSON.parse(env.RACE_KNEX_SPEC ?? '{}') as KnexSpec)
  const { records, messages } = prismaAdapter(prisma)
  return { records, messages, close }
}
