// Ports module for the shared race harness (test-utils/race, run by adapter-knex's knexTableSuites):
// the MikroORM adapter on the database named by RACE_KNEX_SPEC (a JSON KnexSpec of the test's
// isolated database, tables from adapter-knex's migration — the same schema the entities map).
import type { RacePortsModule } from '../../../../test-utils/race/harness.js'
import type { KnexSpec } from '../../../adapter-knex/test/support/isolatedKnex.js'
import { mikroOrmAdapter } from '../../src/index.js'
import { connectOrm } from './isolatedOrm.js'

const NAMES = { 'better-sqlite3': 'sqlite', pg: 'postgres', mysql2: 'mariadb' } as const

export const buildPorts: RacePortsModule['buildPorts'] = async (env) => {
  const spec = JSON.parse(env.RACE_KNEX_SPEC ?? '{}') as KnexSpec
  const orm = await connectOrm({ name: NAMES[spec.client], target: spec.target, schema: spec.schema })
  const { records, messages } = mikroOrmAdapter(orm)
  return { records, messages, close: () => orm.close() }
}
