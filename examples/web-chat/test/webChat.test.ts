// The web chat in a real browser (Debian's chromium via playwright-core), against a real
// `opencode serve` answering through the scripted fake LLM, with knex on SQLite.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@opencode-kit/core'
import { fsStorage } from '@opencode-kit/storage-fs'
import knexFactory, { type Knex } from 'knex'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FINAL_TEXT } from '../../../e2e/support/fakeLlm.js'
import { type RealOpencode, startRealOpencode } from '../../../e2e/support/opencodeServer.js'
import { chromiumPath } from '../../../test-utils/chromium.js'
import { createWebChat, type WebChat } from '../src/createWebChat.js'

let server: RealOpencode
let app: WebChat
let knex: Knex
let browser: Browser
let page: Page
let dir: string

beforeAll(async () => {
  server = await startRealOpencode({ slowDelayMs: 200 })
  dir = mkdtempSync(join(tmpdir(), 'web-chat-'))
  knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: join(dir, 'chat.db') },
    useNullAsDefault: true,
  })
  app = await createWebChat({
    knex,
    client: new Client({ baseUrl: server.url }),
    storage: fsStorage({ root: join(dir, 'artifacts') }),
  })
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] })
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await knex?.destroy()
  await server?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})
beforeEach(async () => {
  page = await browser.newPage()
  await page.goto(app.url)
})

const send = async (text: string) => {
  await page.fill('#text', text)
  await page.click('#send')
}
const lastAssistant = () => page.locator('.msg.assistant').last()

describe('web chat in headless Chromium', () => {
  it('streams the reply in, shows the tool call by its ToolDisplay title and offers the artifact', async () => {
    await send('Write the notes [write notes.md]')
    await expect
      .poll(() => lastAssistant().getAttribute('data-status'), { timeout: 30_000 })
      .toBe('completed')
    const bubble = lastAssistant()
    expect(await bubble.locator('.text').last().textContent()).toContain(FINAL_TEXT)
    expect(await bubble.locator('.tool').first().textContent()).toMatch(/^Write: \S*notes\.md$/)
    expect(await bubble.locator('.tool').first().getAttribute('data-status')).toBe('completed')
    const link = bubble.locator('a.artifact')
    expect(await link.textContent()).toMatch(/^notes\.md \(\d+ B\)$/)
    const download = await page.request.get(
      new URL(String(await link.getAttribute('href')), app.url).toString(),
    )
    expect(download.status()).toBe(200)
    expect(download.headers()['content-disposition']).toContain('attachment')
    expect(await download.text()).toContain('notes')
    expect(await bubble.locator('.meta').textContent()).toMatch(/^completed · \d+\.\d s · \$\d+\.\d+$/)
  })

  it('shows the text as it streams and the Stop button cancels the turn', async () => {
    await send('Talk slowly [slow]')
    const bubble = lastAssistant()
    await expect
      .poll(async () => (await bubble.locator('.text').first().textContent())?.length ?? 0, {
        timeout: 30_000,
      })
      .toBeGreaterThan(5)
    await page.click('#stop')
    await expect.poll(() => bubble.getAttribute('data-status'), { timeout: 30_000 }).toBe('cancelled')
    const text = await bubble.locator('.text').last().textContent()
    expect(text?.length).toBeGreaterThan(5)
    expect(text).not.toContain(FINAL_TEXT)
    expect(await page.isDisabled('#stop')).toBe(true)
  })

  it('keeps the conversation: a second message continues the same chat', async () => {
    await send('First message')
    await expect
      .poll(() => lastAssistant().getAttribute('data-status'), { timeout: 30_000 })
      .toBe('completed')
    await send('Second message')
    await expect.poll(() => page.locator('.msg.assistant').count()).toBe(2)
    await expect
      .poll(() => lastAssistant().getAttribute('data-status'), { timeout: 30_000 })
      .toBe('completed')
    const sessions = await knex('opencode_subjects').whereNotNull('opencode_session_id').count({ n: '*' })
    expect(Number(sessions[0]?.n)).toBeGreaterThanOrEqual(1)
    expect(await page.locator('.msg.user').allTextContents()).toEqual(['First message', 'Second message'])
  })
})
