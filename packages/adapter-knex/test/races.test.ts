// The knex adapter in the shared race harness (support/knexTableSuites.ts), 16 processes.
import { fileURLToPath } from 'node:url'
import { describeRaces } from './support/knexTableSuites.js'

describeRaces('adapter-knex', fileURLToPath(new URL('./support/racePorts.ts', import.meta.url)), {
  processes: 16,
  rounds: 8,
})
