// The in-memory reference storage passes the StoragePort contract suite.
import { MemoryStorage } from '../../src/testing/index.js'
import { describeStoragePort } from '../../src/testing/vitest/index.js'

describeStoragePort('MemoryStorage', async () => ({ storage: new MemoryStorage(), close: async () => {} }))
