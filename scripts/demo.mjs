#!/usr/bin/env node
// The demo command (`npm run demo`): installs what is missing, builds, then runs one full turn end
// to end (examples/demo/demo.ts). Arguments after `--` go to the demo; `npm run demo -- --help`.
import { join } from 'node:path'
import { build, installIfNeeded, repo, run } from './bootstrap.mjs'

const say = (message) => process.stderr.write(`▶ ${message}\n`)
try {
  await installIfNeeded(say)
  await build(say, { silent: true })
} catch (error) {
  say(`setup failed: ${error.message}`)
  process.exit(2)
}
process.exit(
  run(process.execPath, [
    '--import',
    'tsx',
    join(repo, 'examples', 'demo', 'demo.ts'),
    ...process.argv.slice(2),
  ]),
)
