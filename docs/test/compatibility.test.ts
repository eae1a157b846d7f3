// docs/compatibility.md is what scripts/compatibility.mjs renders from docs/compatibility.json and the
// recorded fixtures, covers every line of e2e/matrix.json and shows no failed scenario.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { renderCompatibility, SCENARIOS } from '../../scripts/compatibility.mjs'

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8')

describe('docs/compatibility.md', () => {
  const data = JSON.parse(read('docs/compatibility.json'))
  const matrix = JSON.parse(read('e2e/matrix.json')) as { lines: Record<string, string> }

  it('is current (re-render: node scripts/compatibility.mjs)', () => {
    expect(read('docs/compatibility.md')).toBe(renderCompatibility(data))
  })

  it('has a result for every scenario of every supported line, all passing', () => {
    expect(Object.keys(data.lines).sort()).toEqual(Object.values(matrix.lines).sort())
    for (const [version, { scenarios }] of Object.entries<{ scenarios: Record<string, string> }>(data.lines))
      for (const scenario of SCENARIOS) expect(scenarios[scenario], `${version} ${scenario}`).toBe('pass')
  })
})
