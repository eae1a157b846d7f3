// The Prisma adapter in the shared race harness (adapter-knex's knexTableSuites: tables from its
// migration), 8 processes.
import { fileURLToPath } from 'node:url'
import { describeRaces } from '../../adapter-knex/test/support/knexTableSuites.js'

describeRaces('adapter-prisma', fileURLToPath(new URL('./support/racePorts.ts', import.meta.url)), {
  processes: 8,
  rounds: 6,
})
