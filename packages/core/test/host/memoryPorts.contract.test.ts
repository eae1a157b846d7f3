// The in-memory reference ports pass the same contract suites as the ORM adapters.
import { MemoryMessagePort, MemoryRecordPort } from '../../src/testing/index.js'
import { describeMessagePort, describeRecordPort } from '../../src/testing/vitest/index.js'

describeRecordPort('MemoryRecordPort', async () => {
  const records = new MemoryRecordPort()
  return {
    records,
    raw: {
      insertSubject: async (fields) => records.insert(fields).id,
      subject: async (id) => records.load(id).catch(() => undefined),
    },
    close: async () => {},
  }
})

describeMessagePort('MemoryMessagePort', async () => {
  const messages = new MemoryMessagePort()
  return {
    messages,
    raw: {
      insertMessage: async (fields) => messages.insert(fields).id,
      message: async (id) => messages.load(id).catch(() => undefined),
    },
    close: async () => {},
  }
})
