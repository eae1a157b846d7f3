#!/usr/bin/env node
// Counts the public names of every package entry point (the tsup `entry` map → its source file),
// split into values and types: `node scripts/count-exports.mjs [repoDir] [--names]`.
// Used for issue 16's before/after table; works on any checkout (no node_modules needed there).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import ts from 'typescript'

const args = process.argv.slice(2)
const showNames = args.includes('--names')
const repo = resolve(args.find((a) => !a.startsWith('--')) ?? '.')

const entries = []
for (const dir of readdirSync(join(repo, 'packages')).sort()) {
  const config = join(repo, 'packages', dir, 'tsup.config.ts')
  if (!existsSync(config)) continue
  const name = JSON.parse(readFileSync(join(repo, 'packages', dir, 'package.json'), 'utf8')).name
  const block = /entry:\s*\{([^}]*)\}/.exec(readFileSync(config, 'utf8'))?.[1] ?? ''
  for (const [, key, file] of block.matchAll(/'?([\w-]+)'?\s*:\s*'([^']+)'/g)) {
    const sub = key === 'index' ? '' : `/${key.replace('-', '/')}`
    entries.push({ specifier: name + sub, file: join(repo, 'packages', dir, file) })
  }
}

const program = ts.createProgram(
  entries.map((e) => e.file),
  {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
    allowJs: false,
  },
)
const checker = program.getTypeChecker()
const rows = []
for (const entry of entries) {
  const source = program.getSourceFile(entry.file)
  const symbol = source && checker.getSymbolAtLocation(source)
  const names = symbol ? checker.getExportsOfModule(symbol) : []
  let values = 0
  let types = 0
  const list = []
  for (const s of names) {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s
    const typeOnly = s.declarations?.some(
      (d) =>
        ts.isTypeOnlyExportDeclaration?.(d) ||
        (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)),
    )
    const isValue = !typeOnly && (target.flags & ts.SymbolFlags.Value) !== 0
    if (isValue) values++
    else types++
    list.push(`${isValue ? 'v' : 't'} ${s.name}`)
  }
  rows.push({ specifier: entry.specifier, total: names.length, values, types, list })
}
for (const r of rows) {
  console.log(
    `${r.specifier.padEnd(36)} ${String(r.total).padStart(4)}  (${r.values} values, ${r.types} types)`,
  )
  if (showNames) console.log(`    ${r.list.sort().join('\n    ')}`)
}
