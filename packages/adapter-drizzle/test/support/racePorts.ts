// Ports module for the race harness (test-utils/race): the Drizzle adapter on the database named
// by RACE_KNEX_SPEC (a JSON KnexSpec of the test's isolated database).

import type { RacePortsModule } from '../../../../test-utils/race/harness.js'
import type { KnexSpec } from '../../../adapter-knex/test/support/isolatedKnex.js'
import { drizzleAdapter } from '../../src/index.js'
import { connectDrizzle } from './isolatedDrizzle.js'

export const buildPorts: RacePortsModule['buildPorts'] = async (env) => {
  const { db, close } = connectDrizzle(JSON.parse(env.RACE_KNEX_SPEC ?? '{}') as KnexSpec)
  const { records, messages } = drizzleAdapter(db)
  return { records, messages, close }
}
