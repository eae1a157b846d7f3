// Child process of multiProcessRaces.test.ts. Two scenarios, mirroring the race harness:
//   ensure <ids>: per subject, the Session.ensure pattern under withLock; "creating an upstream
//     session" appends a line to a log file (a network call in real life, never a DB write).
//   finalize|cancel <ids>: race the terminal CAS on message rows; log who won.
import { appendFileSync } from 'node:fs'
import { sequelizeAdapter } from '../../src/index.js'
import { type ConnectionSpec, connectTo } from './isolatedDatabases.js'

const [specJson, mode, idsText, log, worker] = process.argv.slice(2)
const spec = JSON.parse(specJson ?? '{}') as ConnectionSpec
const ids = (idsText ?? '').split(',').map(Number)
const sequelize = connectTo(spec)
const { records, messages } = sequelizeAdapter(sequelize)
const write = (line: string) => appendFileSync(log ?? '', `${line}\n`)

try {
  for (const id of ids) {
    if (mode === 'ensure') {
      const sessionId = await records.withLock(id, async (row, locked) => {
        if (row.opencodeSessionId) return row.opencodeSessionId
        const created = `ses_${id}_${worker}`
        write(`created ${id} ${created}`)
        await locked.setSessionId(created)
        return created
      })
      write(`ensured ${id} ${sessionId}`)
    } else if (mode === 'finalize') {
      write(`finalize ${id} ${await messages.finalize(id, { content: `final ${worker}`, cost: 0.01 })}`)
    } else {
      write(`cancel ${id} ${await messages.cancel(id)}`)
    }
  }
} finally {
  await sequelize.close()
}
