import { readdir, readFile, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { defineConfig } from 'tsup'

// tsup's CommonJS code splitting writes the absolute path of the generated chunk into its source
// map (`file` and `sources`): make them relative to the map, so no build-machine path is published.
async function relativizeSourceMaps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.map')) continue
    const file = join(dir, name)
    const map = JSON.parse(await readFile(file, 'utf8')) as { file?: string; sources: string[] }
    const local = (path: string) => (isAbsolute(path) ? relative(dir, path) : path)
    if (!map.sources.some(isAbsolute) && !(map.file && isAbsolute(map.file))) continue
    map.sources = map.sources.map(local)
    if (map.file) map.file = local(map.file)
    await writeFile(file, JSON.stringify(map))
  }
}

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    wire: 'src/wire/index.ts',
    sandbox: 'src/sandbox/index.ts',
    adapter: 'src/adapter/index.ts',
    testing: 'src/testing/index.ts',
    'testing-vitest': 'src/testing/vitest/index.ts',
    'testing-msw': 'src/testing/msw/index.ts',
    browser: 'src/browser/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // Shared chunks keep one copy of each class across entry points, so `instanceof OpencodeError`
  // holds whether an error came from the main entry or from the testing subpath.
  splitting: true,
  target: 'node20',
  external: ['msw', 'msw/node', 'vitest'],
  onSuccess: () => relativizeSourceMaps(resolve('dist')),
})
