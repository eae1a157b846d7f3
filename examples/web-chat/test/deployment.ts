// The example's processes for a test: a private PostgreSQL schema and Redis prefix, the worker and
// web entry points spawned as production runs them, Chromium pages that report what they logged
// when a test fails.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import knexFactory, { type Knex } from 'knex'
import { type Browser, chromium, type Page } from 'playwright-core'
import { onTestFailed } from 'vitest'
import { chromiumPath } from '../../../test-utils/chromium.js'
import { postgresUrl, redisUrl } from '../../../test-utils/services.js'
import { migrateChat } from '../src/chatSetup.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const script = (name: string) => fileURLToPath(new URL(`../src/${name}`, import.meta.url))

/** A started process of the example and its `ready` line (`ready http://…` for a web process). */
export interface Started {
  child: ChildProcess
  line: string
  /** The web process's URL. */
  url: string
}

/** One test deployment. */
export interface Deployment {
  keyPrefix: string
  /** On the deployment's schema. */
  knex: Knex
  redis: Redis
  browser: Browser
  /** Start `web.ts` or `worker.ts` with the deployment's settings (and `extra`). */
  start(name: 'web.ts' | 'worker.ts', extra?: Record<string, string>): Promise<Started>
  /** A new page on `url`, closed by `closePages`. */
  openPage(url: string): Promise<Page>
  closePages(): Promise<void>
  /** Stop every process and page, drop the schema and the Redis keys. */
  close(): Promise<void>
}

export const stopProcess = (child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM') =>
  new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill(signal)
  })

export async function createDeployment(opencodeUrl: string): Promise<Deployment> {
  const schema = `wc_${randomBytes(5).toString('hex')}`
  const keyPrefix = `wc-${randomBytes(4).toString('hex')}`
  const dir = mkdtempSync(join(tmpdir(), 'web-chat-'))
  const admin = knexFactory({ client: 'pg', connection: postgresUrl() })
  await admin.raw(`CREATE SCHEMA "${schema}"`)
  const knex = knexFactory({ client: 'pg', connection: postgresUrl(), searchPath: [schema] })
  await migrateChat(knex) // the deploy step, before the processes start
  const redis = new Redis(redisUrl())
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] })
  const children = new Set<ChildProcess>()
  const pages: Page[] = []

  const start = (name: 'web.ts' | 'worker.ts', extra: Record<string, string> = {}) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script(name)], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: postgresUrl(),
        DATABASE_SCHEMA: schema,
        REDIS_URL: redisUrl(),
        KEY_PREFIX: keyPrefix,
        ARTIFACTS_DIR: join(dir, 'artifacts'),
        OPENCODE_URL: opencodeUrl,
        PORT: '0',
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.add(child)
    child.once('exit', () => children.delete(child))
    let output = ''
    return new Promise<Started>((resolve, reject) => {
      const keep = (chunk: unknown) => {
        output = (output + String(chunk)).slice(-4000) // the tail explains a failure
      }
      child.stdout?.on('data', (chunk) => {
        keep(chunk)
        const ready = output.match(/^ready.*$/m)
        if (ready) resolve({ child, line: ready[0], url: ready[0].split(' ')[1] ?? '' })
      })
      child.stderr?.on('data', keep)
      child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${output.slice(-2000)}`)))
    })
  }

  const closePages = async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()))
  }

  return {
    keyPrefix,
    knex,
    redis,
    browser,
    start,
    async openPage(url) {
      const page = await browser.newPage()
      // What the page said on the way (connection errors while a web process is down are expected).
      const said: string[] = []
      page.on('pageerror', (error) => said.push(`${url}: ${error.message}`))
      page.on('console', (message) => said.push(`${url}: ${message.type()} ${message.text()}`))
      onTestFailed(() => console.error(said.join('\n')))
      pages.push(page)
      await page.goto(url)
      return page
    },
    closePages,
    async close() {
      await closePages()
      await browser.close()
      await Promise.all([...children].map((child) => stopProcess(child)))
      const stale = await redis.keys(`${keyPrefix}*`)
      if (stale.length > 0) await redis.del(...stale)
      redis.disconnect()
      await knex.destroy()
      await admin.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.destroy()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The page's helpers: send a message, read the last reply. */
export const chat = (page: Page) => {
  const bubble = () => page.locator('.msg.assistant').last()
  return {
    bubble,
    async send(text: string) {
      const before = await page.locator('.msg.assistant').count()
      await page.fill('#text', text)
      await page.click('#send')
      await page.locator('.msg.assistant').nth(before).waitFor()
    },
    status: () => bubble().getAttribute('data-status'),
    text: async () => (await bubble().locator('.text').allTextContents()).join(''),
    lastSeq: async () => Number(await bubble().getAttribute('data-last-seq')),
    messageId: async () => String(await bubble().getAttribute('data-message-id')),
  }
}
