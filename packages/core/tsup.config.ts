import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    sandbox: 'src/sandbox/index.ts',
    testing: 'src/testing/index.ts',
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
})
