#!/usr/bin/env node
// Runs s3rver (an S3-compatible server) on loopback until killed: node scripts/s3-server.mjs PORT DIR BUCKET
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(repo, 'package.json'))
const S3rver = require('s3rver')

const [port, directory, bucket] = process.argv.slice(2)
const server = new S3rver({
  port: Number(port),
  address: '127.0.0.1',
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
})
await server.run()
process.stdout.write(`s3rver listening on http://127.0.0.1:${port}\n`)
const shutdown = () => server.close().finally(() => process.exit(0))
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
