// The stand-in in its own process for the concurrency benchmark (so its work does not load the
// benchmark's event loop): every prompt gets a realistic turn — reasoning, a tool call, ~150 text
// deltas, a cost per step. Prints the URL, then serves until killed.
import { scenario, startOpencodeStandIn } from '../../packages/core/src/testing/index.js'

const words = Array.from({ length: 150 }, (_, i) => `word${i} `).join('')
const running = await startOpencodeStandIn({
  heartbeatMs: 0,
  pace: () => Promise.resolve(),
  respond: () =>
    scenario()
      .reasoning('Let me look at this first.')
      .cost(0.0002, { input: 800, output: 30 })
      .tool('read', { input: { filePath: '/project/README.md' }, output: '# Project' })
      .text(words)
      .cost(0.0003, { input: 900, output: 150 }),
})
process.stdout.write(`${running.url}\n`)
process.on('SIGTERM', () => void running.close().then(() => process.exit(0)))
