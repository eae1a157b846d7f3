// The production-shaped web chat in a real browser (Debian's chromium via playwright-core): a
// worker process runs the turns (BullMQ on the real Redis) against the OpenCode stand-in, two web
// processes serve the page and relay each turn's events from Redis, PostgreSQL holds the rows.
// "Mid-turn" is made by the stand-in's pacing: the test holds the model between two events and
// lets it go on one event at a time, waiting on what the page shows (never on the clock).
import {
  type RunningStandIn,
  type Scenario,
  scenario,
  startOpencodeStandIn,
} from '@opencode-kit/core/testing'
import type { Redis } from 'ioredis'
import type { Knex } from 'knex'
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chatKeys } from '../src/chatSetup.js'
import { createDeployment, type Deployment, type Started, stopProcess } from './deployment.js'

/** The stand-in's pace: free running, or held with a budget of events the test hands out. */
function createPacer() {
  let budget = Number.POSITIVE_INFINITY
  let waiting = 0
  const wakers = new Set<() => void>()
  const wake = () => {
    for (const resolve of wakers) resolve()
    wakers.clear()
  }
  return {
    async pace() {
      while (budget <= 0) {
        waiting++
        await new Promise<void>((resolve) => wakers.add(resolve))
        waiting--
      }
      budget--
    },
    hold() {
      budget = 0
    },
    allow(events: number) {
      budget = (Number.isFinite(budget) ? budget : 0) + events
      wake()
    },
    release() {
      budget = Number.POSITIVE_INFINITY
      wake()
    },
    /** The model waits for the test. */
    get blocked() {
      return waiting > 0 && budget <= 0
    },
  }
}

const pacer = createPacer()
let standIn: RunningStandIn
let deployment: Deployment
let knex: Knex
let redis: Redis
let keys: ReturnType<typeof chatKeys>
const web: { a?: Started; b?: Started; aUrl: string; bUrl: string } = { aUrl: '', bUrl: '' }

beforeAll(async () => {
  standIn = await startOpencodeStandIn({ pace: () => pacer.pace() })
  deployment = await createDeployment(standIn.url)
  ;({ knex, redis } = deployment)
  keys = chatKeys(deployment.keyPrefix)
  const start = deployment.start
  ;[, web.a, web.b] = await Promise.all([start('worker.ts'), start('web.ts'), start('web.ts')])
  web.aUrl = web.a.url
  web.bUrl = web.b.url
}, 120_000)

afterEach(async () => {
  pacer.release()
  await deployment.closePages()
})

afterAll(async () => {
  pacer.release()
  await deployment?.close()
  await standIn?.close()
})

/** A reply of numbered words: a lost or doubled delta shows in the text. */
const words = (tag: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${tag}${String(i + 1).padStart(2, '0')}`).join(' ')

const openPage = (url: string) => deployment.openPage(url)
const send = async (page: Page, text: string, reply: Scenario) => {
  standIn.enqueue(reply)
  await page.fill('#text', text)
  await page.click('#send')
  await expect.poll(() => page.locator('.msg.assistant').count()).toBeGreaterThan(0)
}
const bubble = (page: Page) => page.locator('.msg.assistant').last()
const replyText = async (page: Page) => (await bubble(page).locator('.text').allTextContents()).join('')
const lastSeq = async (page: Page) => Number(await bubble(page).getAttribute('data-last-seq'))
const messageIdOf = async (page: Page) => String(await bubble(page).getAttribute('data-message-id'))
/** The highest `seq` the worker has written to the message's Redis stream. */
const loggedSeq = async (messageId: string) => {
  const [last] = await redis.xrevrange(`${keys.relayPrefix}${messageId}`, '+', '-', 'COUNT', 1)
  return last ? Number(last[0].split('-')[1]) : 0
}
const nextTick = () => new Promise((resolve) => setTimeout(resolve, 20)) // a poll interval

/**
 * Let the held model go on one event at a time until `check` holds. The next event is let through
 * only once the page shows everything the worker has logged, so the turn stops right after the
 * condition became visible (a few events later at most), far from its end.
 */
async function advanceUntil(page: Page, check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`the page never showed ${what}`)
    if (pacer.blocked && (await lastSeq(page)) >= (await loggedSeq(await messageIdOf(page)))) pacer.allow(1)
    await nextTick()
  }
}
/** The held model has nothing more in flight and the page shows all that was logged. */
async function settle(page: Page): Promise<void> {
  await expect.poll(() => pacer.blocked).toBe(true)
  const id = await messageIdOf(page)
  await expect.poll(async () => (await lastSeq(page)) - (await loggedSeq(id)), { timeout: 30_000 }).toBe(0)
}
const shownWords = async (page: Page) => (await replyText(page)).split(' ').filter(Boolean).length

describe('web chat: worker process, Redis relay, web processes, headless Chromium', () => {
  it('renders the reply live, then the tool call and the artifact', async () => {
    const page = await openPage(web.aUrl)
    const full = `Live ${words('live', 40)}`
    pacer.hold()
    await send(page, 'Write the notes', scenario().write('notes.md', '# Notes\n').text(full).cost(0.0002))
    await advanceUntil(page, async () => (await shownWords(page)) >= 4, 'the first words')
    // The model is held mid-reply: what the page shows came live, before the turn could end.
    await expect.poll(() => pacer.blocked).toBe(true)
    expect(await bubble(page).getAttribute('data-status')).toBe('running')
    const partial = await replyText(page)
    expect(full.startsWith(partial)).toBe(true)
    expect(partial.length).toBeLessThan(full.length)

    pacer.release()
    await expect.poll(() => bubble(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('completed')
    expect(await replyText(page)).toBe(full)
    expect(await bubble(page).getAttribute('data-gap')).toBe('false')
    expect(await bubble(page).locator('.tool').first().textContent()).toMatch(/^Write: \S*notes\.md$/)
    expect(await bubble(page).locator('.tool').first().getAttribute('data-status')).toBe('completed')
    const link = bubble(page).locator('a.artifact')
    await expect.poll(() => link.count()).toBe(1)
    expect(await link.textContent()).toMatch(/^notes\.md \(\d+ B\)$/)
    const download = await page.request.get(new URL(String(await link.getAttribute('href')), web.aUrl).href)
    expect(download.status()).toBe(200)
    expect(download.headers()['content-disposition']).toContain('attachment')
    expect(await download.text()).toBe('# Notes\n')
  })

  it('a tab opened mid-turn, on the other web process, shows everything so far and continues', async () => {
    const first = await openPage(web.aUrl)
    const full = `Shared ${words('tab', 40)}`
    pacer.hold()
    await send(first, 'Two tabs', scenario().text(full))
    await advanceUntil(first, async () => (await shownWords(first)) >= 6, 'six words')
    await settle(first)
    const sofar = await replyText(first)
    const conversation = new URL(first.url()).hash

    const second = await openPage(`${web.bUrl}/${conversation}`)
    await expect.poll(() => second.locator('.msg.user').allTextContents()).toEqual(['Two tabs'])
    await expect.poll(() => replyText(second), { timeout: 30_000 }).toBe(sofar)
    expect(await lastSeq(second)).toBe(await lastSeq(first))
    expect(await bubble(second).getAttribute('data-status')).toBe('running')

    pacer.release()
    for (const page of [first, second]) {
      await expect.poll(() => bubble(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('completed')
      expect(await replyText(page)).toBe(full)
      expect(await bubble(page).getAttribute('data-gap')).toBe('false')
    }
  })

  it('closing the tab frees the web process: its blocking read on Redis ends, the turn goes on', async () => {
    const name = `${deployment.keyPrefix}:web:${web.b?.child.pid}`
    /** Connections of web process B blocked in a read (the relay's one XREAD BLOCK for all its tabs). */
    const blockedReads = async () =>
      String(await redis.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(` name=${name} `) && /\sflags=\S*b/.test(line)).length
    const page = await openPage(web.bUrl)
    pacer.hold()
    await send(page, 'Then close the tab', scenario().text(`Closed ${words('gone', 30)}`))
    await advanceUntil(page, async () => (await shownWords(page)) >= 3, 'three words')
    await settle(page)
    await expect.poll(blockedReads).toBe(1) // waiting for the held model's next event
    const id = await messageIdOf(page)
    await page.close()
    await expect.poll(blockedReads).toBe(0)
    pacer.release()
    await expect
      .poll(async () => (await knex('opencode_messages').where({ id }).first('status'))?.status, {
        timeout: 30_000,
      })
      .toBe('completed')
  })

  it('killing and restarting the web process mid-turn loses no delta once the browser reconnects', async () => {
    const page = await openPage(web.aUrl)
    const full = `Restart ${words('kill', 50)}`
    pacer.hold()
    await send(page, 'Survive a restart', scenario().text(full))
    await advanceUntil(page, async () => (await shownWords(page)) >= 4, 'four words')
    await settle(page)
    const id = await messageIdOf(page)
    const port = new URL(web.aUrl).port

    await stopProcess(web.a?.child, 'SIGKILL') // no goodbye: the browser's connection just breaks
    await expect
      .poll(async () => Number(await bubble(page).getAttribute('data-reconnects')))
      .toBeGreaterThan(0)
    // The turn goes on while no web process serves this page: its events wait in Redis.
    const seen = await lastSeq(page)
    pacer.allow(12)
    await expect.poll(() => pacer.blocked).toBe(true)
    await expect.poll(() => loggedSeq(id)).toBeGreaterThan(seen + 5)
    expect(await lastSeq(page)).toBe(seen)

    web.a = await deployment.start('web.ts', { PORT: port })
    await expect.poll(() => lastSeq(page), { timeout: 30_000 }).toBe(await loggedSeq(id))
    pacer.release()
    await expect.poll(() => bubble(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('completed')
    expect(await replyText(page)).toBe(full) // every word once, in order
    expect(await bubble(page).getAttribute('data-gap')).toBe('false')
    expect(await lastSeq(page)).toBe(await loggedSeq(id))
  })

  it('Stop cancels the turn the worker runs: the row ends cancelled, the model is aborted', async () => {
    const page = await openPage(web.aUrl)
    const full = `Stopped ${words('stop', 60)}`
    const aborted = standIn.stats.sessionsAborted
    pacer.hold()
    await send(page, 'Talk for long', scenario().text(full))
    await advanceUntil(page, async () => (await shownWords(page)) >= 4, 'four words')
    const id = await messageIdOf(page)
    await page.click('#stop')
    // The web process cancelled the row; the worker heard of it and aborted the model mid-reply.
    await expect
      .poll(async () => (await knex('opencode_messages').where({ id }).first('status'))?.status)
      .toBe('cancelled')
    await expect.poll(() => standIn.stats.sessionsAborted, { timeout: 30_000 }).toBe(aborted + 1)
    pacer.release()
    await expect.poll(() => bubble(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('cancelled')
    const text = await replyText(page)
    expect(text.length).toBeGreaterThan(0)
    expect(full.startsWith(text)).toBe(true)
    expect(text).not.toContain('stop60')
    await expect.poll(() => page.isDisabled('#stop')).toBe(true)
    const row = await knex('opencode_messages').where({ id }).first('status', 'content')
    expect(row?.status).toBe('cancelled')
    expect(full.startsWith(String(row?.content))).toBe(true)
  })
  it('an approval card answered from the browser: the turn in the worker goes on; a second answer loses', async () => {
    const page = await openPage(web.aUrl)
    await send(page, 'Greet the world', scenario().permission('bash', ['echo hello']).text('Ran echo hello.'))
    const card = bubble(page).locator('.request.permission')
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('pending')
    expect(await card.locator('.ask').textContent()).toBe('The agent asks for bash: echo hello')
    // The worker's turn waits for the answer: the reply has not come.
    expect(await bubble(page).getAttribute('data-status')).toBe('running')
    await card.locator('button.once').click()
    await expect.poll(() => bubble(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('completed')
    expect(await replyText(page)).toBe('Ran echo hello.')
    expect(await card.getAttribute('data-status')).toBe('answered')
    expect(await card.locator('.outcome').textContent()).toBe('answered: once')
    expect(await card.locator('.choices').isHidden()).toBe(true)
    const id = await messageIdOf(page)
    const requestId = String(await card.getAttribute('data-request-id'))
    const row = await knex('opencode_messages').where({ id }).first('requests_json')
    const stored = JSON.parse(String(row?.requests_json)) as { id: string; status: string; answer: unknown }[]
    expect(stored).toMatchObject([{ id: requestId, status: 'answered', answer: 'once' }])
    // Another tab's late click: the compare-and-set on the row refuses it.
    const late = await page.request.post(`${web.bUrl}/api/messages/${id}/requests/${requestId}`, {
      data: { answer: 'reject' },
    })
    expect(late.status()).toBe(409)
  })

  it('a question form answered from the browser, and a permission rejected', async () => {
    const page = await openPage(web.aUrl)
    await send(
      page,
      'Paint it',
      scenario()
        .question('Which color?', ['Red', 'Blue'])
        .permission('edit', ['walls.txt'])
        .text('Not painting, then.'),
    )
    const question = bubble(page).locator('.request.question')
    await expect.poll(() => question.getAttribute('data-status'), { timeout: 30_000 }).toBe('pending')
    expect(await question.locator('legend').textContent()).toBe('Which color?')
    expect(await question.locator('label').allTextContents()).toEqual([' Red', ' Blue'])
    await question.locator('input[value="Blue"]').check()
    await question.locator('button.answer').click()
    await expect.poll(() => question.getAttribute('data-status'), { timeout: 30_000 }).toBe('answered')
    expect(await question.locator('.outcome').textContent()).toBe('answered: Blue')

    const permission = bubble(page).locator('.request.permission')
    await expect.poll(() => permission.getAttribute('data-status'), { timeout: 30_000 }).toBe('pending')
    await permission.locator('button.reject').click()
    await expect.poll(() => bubble(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('completed')
    expect(await permission.getAttribute('data-status')).toBe('rejected')
    const row = await knex('opencode_messages')
      .where({ id: await messageIdOf(page) })
      .first('requests_json')
    const stored = JSON.parse(String(row?.requests_json)) as { kind: string; status: string }[]
    expect(stored.map((r) => [r.kind, r.status])).toEqual([
      ['question', 'answered'],
      ['permission', 'rejected'],
    ])
  })
  it('a request nobody answers expires after the worker request timeout: the card says so, the turn ends', async () => {
    // A second deployment (its own queue and streams) whose worker waits 1.5 s for an answer.
    const prefix = `${deployment.keyPrefix}-t`
    const [unattended, front] = await Promise.all([
      deployment.start('worker.ts', { KEY_PREFIX: prefix, REQUEST_TIMEOUT_MS: '1500' }),
      deployment.start('web.ts', { KEY_PREFIX: prefix }),
    ])
    try {
      const page = await openPage(front.url)
      await send(
        page,
        'Delete the logs',
        scenario().permission('bash', ['rm -rf logs']).text('Left the logs alone.'),
      )
      const card = bubble(page).locator('.request.permission')
      await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('pending')
      await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('expired')
      await expect.poll(() => bubble(page).getAttribute('data-status'), { timeout: 30_000 }).toBe('completed')
      expect(await card.locator('.outcome').textContent()).toBe('expired')
      expect(await card.locator('.choices').isHidden()).toBe(true)
      const row = await knex('opencode_messages')
        .where({ id: await messageIdOf(page) })
        .first('requests_json')
      expect(JSON.parse(String(row?.requests_json))).toMatchObject([
        { kind: 'permission', status: 'expired' },
      ])
    } finally {
      await Promise.all([stopProcess(front.child), stopProcess(unattended.child)])
    }
  })
})
