// storage-fs passes the StoragePort contract suite on a real temporary directory, and every file
// it ever writes stays inside the root.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { describeStoragePort } from '@opencode-kit/core/testing/vitest'
import { fsStorage } from '../src/index.js'

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    out.push(path, ...(entry.isDirectory() ? await walk(path) : []))
  }
  return out
}

describeStoragePort('storage-fs on a temp dir', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'storage-fs-contract-'))
  const root = join(parent, 'root')
  return {
    storage: fsStorage({ root }),
    raw: {
      // Everything under the parent: a name that escaped the root would show up here.
      keys: () => walk(parent),
      contains: (key) => {
        const rel = relative(root, key)
        return key === root || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '')
      },
    },
    close: () => rm(parent, { recursive: true, force: true }),
  }
})
