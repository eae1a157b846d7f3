// The quickstart runner itself: how it reads a page and how it runs a try-it script. If it read
// too little or ran too kindly, the quickstart runs in rehearsal.test.ts would pass for pages a
// reader cannot follow.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  importedPackages,
  matchesSubset,
  packageName,
  parseInstall,
  readQuickstarts,
  tryIt,
  withoutComment,
} from '../support/quickstarts.js'
import { freePort } from '../support/registry.js'

const dir = mkdtempSync(join(tmpdir(), 'quickstart-runner-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('reading a page', () => {
  it('parses install lines: specs, dev flag, comments dropped', () => {
    expect(parseInstall('npm install pg pg-hstore   # or: mysql2')).toEqual({
      specs: ['pg', 'pg-hstore'],
      dev: false,
    })
    expect(parseInstall('npm install --save-dev tsx @types/node@20')).toEqual({
      specs: ['tsx', '@types/node@20'],
      dev: true,
    })
    expect(parseInstall('npm i -D typescript')).toEqual({ specs: ['typescript'], dev: true })
    expect(parseInstall('npm init -y && npm pkg set type=module')).toBeUndefined()
    expect(packageName('@mikro-orm/core@6.6.16')).toBe('@mikro-orm/core')
    expect(packageName('express@5')).toBe('express')
    expect(packageName('knex')).toBe('knex')
  })

  it('finds the packages a file imports (multi-line, type-only, subpaths; not relative or node:)', () => {
    const source = [
      "import express from 'express'",
      "import type { Knex } from 'knex'",
      "import { startOpencodeStandIn } from '@opencode-kit/core/testing'",
      'import {',
      '  a,',
      '  b,',
      "} from '@mikro-orm/postgresql'",
      "import { readFile } from 'node:fs/promises'",
      "import { knex } from './db.js'",
      "import './routes.js'",
    ].join('\n')
    expect(importedPackages(source).sort()).toEqual(
      ['@mikro-orm/postgresql', '@opencode-kit/core', 'express', 'knex'].sort(),
    )
  })

  it('reads every quickstart page into files, install lines and a try-it script', () => {
    const knex = readQuickstarts().find((q) => q.name === 'knex')
    expect([...(knex?.files.keys() ?? [])].sort()).toEqual(
      ['db.ts', 'migrate.ts', 'server.ts', 'standin.ts', 'worker.ts'].sort(),
    )
    expect(knex?.installs.some((i) => i.specs.includes('ioredis'))).toBe(true)
    expect(knex?.tryIt?.some((line) => line.startsWith('curl'))).toBe(true)
  })

  it('drops a trailing comment only outside quotes', () => {
    expect(withoutComment('npx tsx standin.ts &      # or opencode serve')).toBe('npx tsx standin.ts &')
    expect(withoutComment(`curl -d '{"text":"# not a comment"}' x`)).toBe(
      `curl -d '{"text":"# not a comment"}' x`,
    )
    expect(withoutComment('echo a#b')).toBe('echo a#b')
  })

  it('matches an expected answer as a subset, "…" being any non-empty value', () => {
    expect(
      matchesSubset({ status: 'completed', content: 'Hi', cost: 1 }, { status: 'completed', content: '…' }),
    ).toBe(true)
    expect(matchesSubset({ status: 'completed', content: '' }, { content: '…' })).toBe(false)
    expect(matchesSubset({ status: 'pending' }, { status: 'completed' })).toBe(false)
    expect(matchesSubset({ id: '1' }, { id: 1 })).toBe(false)
    expect(matchesSubset([{ a: 1 }, { a: 2 }], [{ a: 1 }])).toBe(true)
  })
})

describe('running a try-it script', () => {
  /** A tiny app: answers `{"status":"pending"}` twice, then `{"status":"completed",…}`. */
  const server = `node -e "let n=0;require('http').createServer((q,r)=>{r.setHeader('content-type','application/json');r.end(JSON.stringify(++n<3?{status:'pending'}:{status:'completed',content:process.env.GREETING}))}).listen(process.env.PORT)"`

  it('exports, background commands, and curls retried until their expected answer', async () => {
    const steps = await tryIt(
      [
        'export GREETING=hello PORT=1',
        `${server} &   # the app`,
        'curl -s localhost:3000/messages/1',
        '# → {"status":"completed","content":"hello"}',
      ],
      { cwd: dir, env: process.env, pinned: { PORT: String(await freePort()) } },
    )
    expect(steps.map((s) => s.kind)).toEqual(['export', 'background', 'curl'])
    expect(steps[2]?.attempts).toBeGreaterThanOrEqual(3)
    expect(JSON.parse(steps[2]?.output ?? '{}')).toEqual({ status: 'completed', content: 'hello' })
  })

  it('fails at once on a final answer that is not the expected one', async () => {
    const started = Date.now()
    await expect(
      tryIt([`${server} &`, 'curl -s localhost:3000/', '# → {"status":"error"}'], {
        cwd: dir,
        env: process.env,
        pinned: { PORT: String(await freePort()) },
        curlTimeoutMs: 60_000,
      }),
    ).rejects.toThrow(/unexpected answer from: curl/)
    expect(Date.now() - started).toBeLessThan(30_000)
  })

  it('fails when a command fails or a background command dies, with a transcript', async () => {
    await expect(tryIt(['true', 'false'], { cwd: dir, env: process.env, pinned: {} })).rejects.toThrow(
      /exited with 1: false[\s\S]*\$ true/,
    )
    await expect(
      tryIt(['node -e "process.exit(3)" &', 'curl -s 127.0.0.1:1/'], {
        cwd: dir,
        env: process.env,
        pinned: {},
      }),
    ).rejects.toThrow(/background command exited with 3/)
  })

  it('skips what the runner provides itself', async () => {
    const steps = await tryIt(['npx tsx standin.ts &', 'true'], {
      cwd: dir,
      env: process.env,
      pinned: {},
      skip: (line) => line.includes('standin.ts'),
    })
    expect(steps.map((s) => s.kind)).toEqual(['skipped', 'command'])
  })
})
