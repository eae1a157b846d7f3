// Ports module for the shared race harness (test-utils/race): builds the MikroORM adapter's ports
// from RACE_ORM_SPEC, a JSON OrmSpec naming the test's isolated database.
import type { RacePortsModule } from '../../../../test-utils/race/harness.js'
import { mikroOrmAdapter } from '../../src/index.js'
import { connectOrm, type OrmSpec } from './isolatedOrm.js'

export const buildPorts: RacePortsModule['buildPorts'] = async (env) => {
  const orm = await connectOrm(JSON.parse(env.RACE_ORM_SPEC ?? '{}') as OrmSpec)
  const { records, messages } = mikroOrmAdapter(orm)
  return { records, messages, close: () => orm.close() }
}
