// The browser entry as published: everything `@opencode-kit/core/browser` loads (its chunks
// included) imports nothing from Node or from other packages, and stays small. Runs against the
// built dist (`npm run build`); the web-chat example loads the same files in Chromium.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const dist = fileURLToPath(new URL('../../dist/', import.meta.url))

/** Every file the ESM entry loads, with its size. */
function importGraph(entry: string): Map<string, string> {
  const files = new Map<string, string>()
  const visit = (name: string) => {
    if (files.has(name)) return
    const code = readFileSync(`${dist}${name}`, 'utf8')
    files.set(name, code)
    for (const [, specifier] of code.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
      if (specifier?.startsWith('./')) visit(specifier.slice(2))
      else files.set(`external:${specifier}`, '')
    }
  }
  visit(entry)
  return files
}

describe('@opencode-kit/core/browser bundle', () => {
  const graph = importGraph('browser.js')

  it('imports only its own chunks: no node: module, no package', () => {
    expect([...graph.keys()].filter((name) => name.startsWith('external:'))).toEqual([])
    for (const code of graph.values()) expect(code).not.toMatch(/\bprocess\.|require\(|node:/)
  })

  it('is small (under 20 KB unminified, chunks included)', () => {
    const bytes = [...graph.values()].reduce((sum, code) => sum + code.length, 0)
    expect(bytes).toBeLessThan(20 * 1024)
  })
})
