// The same deployment against a real `opencode serve` (the pinned release, offline, answering
// through the scripted fake LLM of the e2e suite): the worker's turns meet the real server's
// events, tool views and question requests, and the page shows them.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FINAL_TEXT } from '../../../e2e/support/fakeLlm.js'
import { type RealOpencode, startRealOpencode } from '../../../e2e/support/opencodeServer.js'
import { chat, createDeployment, type Deployment } from './deployment.js'

let server: RealOpencode
let deployment: Deployment
let url: string

beforeAll(async () => {
  server = await startRealOpencode({ slowDelayMs: 100 })
  deployment = await createDeployment(server.url)
  const [, web] = await Promise.all([deployment.start('worker.ts'), deployment.start('web.ts')])
  url = web.url
}, 120_000)
afterEach(() => deployment.closePages())
afterAll(async () => {
  await deployment?.close()
  await server?.close()
})

describe('web chat on a real opencode serve', () => {
  it('streams the reply with the tool line, and offers the file the agent wrote', async () => {
    const tab = await deployment.openPage(url)
    const page = chat(tab)
    await page.send('Write the notes [write notes.md]')
    await expect.poll(page.status, { timeout: 60_000 }).toBe('completed')
    expect(await page.text()).toContain(FINAL_TEXT)
    const tool = page.bubble().locator('.tool').first()
    expect(await tool.textContent()).toMatch(/^Write: \S*notes\.md$/)
    expect(await tool.getAttribute('data-status')).toBe('completed')
    const link = page.bubble().locator('a.artifact')
    await expect.poll(() => link.count()).toBe(1)
    const download = await tab.request.get(new URL(String(await link.getAttribute('href')), url).href)
    expect(download.status()).toBe(200)
    expect(download.headers()['content-disposition']).toContain('attachment')
    expect(await download.text()).toContain('notes')
  })

  it("answers the agent's question from the browser; the worker's turn goes on", async () => {
    const page = chat(await deployment.openPage(url))
    await page.send('Pick a colour [question]')
    const card = page.bubble().locator('.request.question')
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 60_000 }).toBe('pending')
    expect(await card.locator('legend').textContent()).toBe('Which colour should the report use?')
    await card.locator('input[value="Green"]').check()
    await card.locator('button.answer').click()
    await expect.poll(page.status, { timeout: 60_000 }).toBe('completed')
    expect(await card.getAttribute('data-status')).toBe('answered')
    expect(await card.locator('.outcome').textContent()).toBe('answered: Green')
    expect(await page.text()).toContain(FINAL_TEXT)
  })

  it('Stop cancels a slow reply mid-stream', async () => {
    const tab = await deployment.openPage(url)
    const page = chat(tab)
    await page.send('Talk slowly [slow]')
    await expect.poll(async () => (await page.text()).length, { timeout: 60_000 }).toBeGreaterThan(5)
    await tab.click('#stop')
    await expect.poll(page.status, { timeout: 60_000 }).toBe('cancelled')
    const text = await page.text()
    expect(text.length).toBeGreaterThan(5)
    expect(text).not.toContain(FINAL_TEXT)
    await expect.poll(() => tab.isDisabled('#stop')).toBe(true)
  })
})
