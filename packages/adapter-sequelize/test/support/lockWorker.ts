// Child process of crossProcessLock.test.ts: read-modify-write a counter (stored in the session id
// column) under `withLock`, many rounds. Any overlap between processes loses an increment.
import { sequelizeAdapter } from '../../src/index.js'
import { type ConnectionSpec, connectTo } from './isolatedDatabases.js'

const [specJson, subjectId, roundsText] = process.argv.slice(2)
const spec = JSON.parse(specJson ?? '{}') as ConnectionSpec
const sequelize = connectTo(spec)
const { records } = sequelizeAdapter(sequelize)
try {
  for (let round = 0; round < Number(roundsText); round++) {
    await records.withLock(Number(subjectId), async (row, locked) => {
      const current = Number((row.opencodeSessionId ?? 'n_0').slice(2))
      // Let other work run between the read and the write, as a network call would.
      await new Promise<void>((resolve) => setImmediate(resolve))
      await locked.setSessionId(`n_${current + 1}`)
    })
  }
} finally {
  await sequelize.close()
}
