// The runtime passes of `npm test` (scripts/test.mjs) set OPENCODE_KIT_EXPECT_RUNTIME: this proves
// the suites of that pass really ran on Bun, Deno or that Node major, not on the Node that started them.
import { expect, it } from 'vitest'

const runtime = (): string => {
  const g = globalThis as { Bun?: unknown; Deno?: unknown }
  if (g.Bun) return 'bun'
  if (g.Deno) return 'deno'
  return `node${process.versions.node.split('.')[0]}`
}

it('runs on the runtime the pass asked for', () => {
  const expected = process.env.OPENCODE_KIT_EXPECT_RUNTIME
  expect(runtime()).toBe(expected ?? runtime())
})
