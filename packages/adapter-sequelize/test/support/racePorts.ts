// Ports module for the shared race harness (test-utils/race): builds the Sequelize adapter's ports
// from RACE_SEQUELIZE_SPEC, a JSON ConnectionSpec naming the test's isolated database.
import type { RacePortsModule } from '../../../../test-utils/race/harness.js'
import { sequelizeAdapter } from '../../src/index.js'
import { type ConnectionSpec, connectTo } from './isolatedDatabases.js'

export const buildPorts: RacePortsModule['buildPorts'] = async (env) => {
  const sequelize = connectTo(JSON.parse(env.RACE_SEQUELIZE_SPEC ?? '{}') as ConnectionSpec)
  const { records, messages } = sequelizeAdapter(sequelize)
  return { records, messages, close: () => sequelize.close() }
}
