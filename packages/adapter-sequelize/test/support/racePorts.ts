// Ports module for the shared race harness (test-utils/race, run by adapter-knex's knexTableSuites):
// the Sequelize adapter on the database named by RACE_KNEX_SPEC (a JSON KnexSpec of the test's
// isolated database, tables from adapter-knex's migration — the same schema Sequelize's creates).
import type { RacePortsModule } from '../../../../test-utils/race/harness.js'
import type { KnexSpec } from '../../../adapter-knex/test/support/isolatedKnex.js'
import { sequelizeAdapter } from '../../src/index.js'
import { connectTo } from './isolatedDatabases.js'

const DIALECTS = { 'better-sqlite3': 'sqlite', pg: 'postgres', mysql2: 'mysql' } as const

export const buildPorts: RacePortsModule['buildPorts'] = async (env) => {
  const spec = JSON.parse(env.RACE_KNEX_SPEC ?? '{}') as KnexSpec
  const sequelize = connectTo({ dialect: DIALECTS[spec.client], target: spec.target, schema: spec.schema })
  const { records, messages } = sequelizeAdapter(sequelize)
  return { records, messages, close: () => sequelize.close() }
}
