// The in-memory reference storage passes the StoragePort contract suite.
import { describeStoragePort, MemoryStorage } from '../../src/testing/index.js'

describeStoragePort('MemoryStorage', async () => ({ storage: new MemoryStorage(), close: async () => {} }))
