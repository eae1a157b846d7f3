// Ports module for the race harness (test-utils/race): builds the knex adapter's ports from
// RACE_KNEX_SPEC, a JSON KnexSpec naming the test's isolated database.
import type { RacePortsModule } from '../../../../test-utils/race/harness.js'
import { knexAdapter } from '../../src/index.js'
import { connectKnex, type KnexSpec } from './isolatedKnex.js'

export const buildPorts: RacePortsModule['buildPorts'] = async (env) => {
  const knex = connectKnex(JSON.parse(env.RACE_KNEX_SPEC ?? '{}') as KnexSpec)
  const { records, messages } = knexAdapter(knex)
  return { records, messages, close: () => knex.destroy() }
}
