// The stand-in in its own process for the scale benchmark: every prompt streams a text reply of
// WORDS words, one delta per word, paced at INTERVAL_MS per event (20 events/s by default), like
// a model generating tokens. Sessions and event streams are scoped by directory, as on the real
// server. Prints the URL, then serves until killed.
import { scenario, startOpencodeStandIn } from '../../packages/core/src/testing/standin/index.js'

const WORDS = Number(process.env.SCALE_WORDS ?? 240)
const INTERVAL_MS = Number(process.env.SCALE_INTERVAL_MS ?? 50)

const words = Array.from({ length: WORDS }, (_, i) => `w${i} `).join('')
const running = await startOpencodeStandIn({
  heartbeatMs: 10_000,
  pace: () => new Promise((resolve) => setTimeout(resolve, INTERVAL_MS)),
  respond: () => scenario().text(words).cost(0.0003, { input: 900, output: WORDS }),
})
process.stdout.write(`${running.url}\n`)
process.on('SIGTERM', () => void running.close().then(() => process.exit(0)))
