import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

// Tests run against the sources, so no package has to be rebuilt between edits.
// Child processes (race harness workers, the demo) use the built dist instead.
const alias = [
  { find: /^@opencode-kit\/core\/wire$/, replacement: src('core/src/wire/index.ts') },
  { find: /^@opencode-kit\/core\/sandbox$/, replacement: src('core/src/sandbox/index.ts') },
  { find: /^@opencode-kit\/core\/adapter$/, replacement: src('core/src/adapter/index.ts') },
  { find: /^@opencode-kit\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
  { find: /^@opencode-kit\/core\/testing\/vitest$/, replacement: src('core/src/testing/vitest/index.ts') },
  { find: /^@opencode-kit\/core\/testing\/msw$/, replacement: src('core/src/testing/msw/index.ts') },
  { find: /^@opencode-kit\/core\/browser$/, replacement: src('core/src/browser/index.ts') },
  { find: /^@opencode-kit\/core$/, replacement: src('core/src/index.ts') },
  {
    find: /^@opencode-kit\/(adapter-[a-z-]+|storage-[a-z0-9]+|relay-[a-z]+)$/,
    replacement: src('$1/src/index.ts'),
  },
]

const packages = [
  'core',
  'adapter-knex',
  'adapter-sequelize',
  'adapter-mikro-orm',
  'adapter-drizzle',
  'adapter-prisma',
  'storage-fs',
  'storage-s3',
  'relay-redis',
]

export default defineConfig({
  test: {
    projects: [
      ...packages.map((name) => ({
        resolve: { alias },
        test: {
          name,
          root: src(name),
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // The Prisma tests need generated clients (prisma generate, offline).
          ...(name === 'adapter-prisma' ? { globalSetup: ['test/support/prismaClients.ts'] } : {}),
        },
      })),
      // End to end against a real `opencode serve` (see e2e/support).
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          root: fileURLToPath(new URL('./e2e', import.meta.url)),
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      // The guide's code samples, type-checked.
      {
        resolve: { alias },
        test: {
          name: 'docs',
          root: fileURLToPath(new URL('./docs', import.meta.url)),
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      // The npm user's path: what each tarball holds, a release rehearsal against a local registry,
      // and the quickstarts run as written in a fresh project outside the repository.
      {
        test: {
          name: 'release',
          root: fileURLToPath(new URL('./release', import.meta.url)),
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          // Both the pack test and the rehearsal run the packages' prepack (a build when stale).
          fileParallelism: false,
        },
      },
      // The runnable examples, driven like a user would (a browser, a job queue).
      {
        resolve: { alias },
        test: {
          name: 'examples',
          root: fileURLToPath(new URL('./examples', import.meta.url)),
          include: ['*/test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
