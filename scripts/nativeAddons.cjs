// Preloaded (NODE_OPTIONS=--require) into the adapter suites' passes on Node 22 and 24: node_modules
// holds better-sqlite3 built for Node 20's ABI, and each other Node major gets its own build under
// .tools/addons/ (see scripts/tools.mjs, betterSqliteAddon). This loads that build instead, so one
// checkout runs the suites on every Node major without rebuilding node_modules in place. (sqlite3
// is a Node-API addon and loads on every major as it is.)
'use strict'
const { existsSync } = require('node:fs')
const { join } = require('node:path')

const dir = process.env.OPENCODE_KIT_ADDONS_DIR
// NODE_OPTIONS reaches child processes too, and a child may be another Node (a `node` from PATH):
// only a Node of the build's ABI loads it.
const abi = dir && /-node-v(\d+)$/.exec(dir)?.[1]
if (dir && abi === process.versions.modules) {
  const dlopen = process.dlopen
  process.dlopen = function dlopenForThisAbi(module, filename, ...rest) {
    const name = /[\\/]better-sqlite3[\\/]build[\\/]Release[\\/](better_sqlite3\.node)$/.exec(filename)?.[1]
    const replacement = name && join(dir, name)
    return dlopen.call(this, module, replacement && existsSync(replacement) ? replacement : filename, ...rest)
  }
}
