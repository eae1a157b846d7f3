// The MikroORM adapter in the shared race harness (adapter-knex's knexTableSuites: tables from its
// migration, the schema the shipped entities map), 16 processes.
import { fileURLToPath } from 'node:url'
import { describeRaces } from '../../adapter-knex/test/support/knexTableSuites.js'

describeRaces('adapter-mikro-orm', fileURLToPath(new URL('./support/racePorts.ts', import.meta.url)), {
  processes: 16,
  rounds: 6,
})
