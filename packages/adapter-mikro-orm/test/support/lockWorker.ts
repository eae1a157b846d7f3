// Child process of crossProcessLock.test.ts: read-modify-write a counter (kept in the session id
// column) under withLock, `rounds` times in each of `loops` concurrent loops. Any overlap of two
// lock holders — across processes or inside this one — loses an increment.
import { mikroOrmAdapter } from '../../src/index.js'
import { connectOrm, type OrmSpec } from './isolatedOrm.js'

const [specJson, subjectId, roundsText, loopsText] = process.argv.slice(2)
const orm = await connectOrm(JSON.parse(specJson ?? '{}') as OrmSpec)
const { records } = mikroOrmAdapter(orm)
try {
  await Promise.all(
    Array.from({ length: Number(loopsText) }, async () => {
      for (let round = 0; round < Number(roundsText); round++) {
        await records.withLock(Number(subjectId), async (row, locked) => {
          const current = Number((row.opencodeSessionId ?? 'n_0').slice(2))
          // Let other work run between the read and the write, as a network call would.
          await new Promise<void>((resolve) => setImmediate(resolve))
          await locked.setSessionId(`n_${current + 1}`)
        })
      }
    }),
  )
} finally {
  await orm.close()
}
