// The API probe: what a server offers, learned from two GETs that are read as JSON (never from a
// status code alone), and the server's version checked against the supported range.
import { Client } from '@opencode-kit/core'
import { ConnectionError, UnsupportedServerError } from '@opencode-kit/core/wire'
import { describe, expect, it } from 'vitest'
import { probeApi } from '../../../src/wire/v2/probeApi.js'

const json = (body: unknown) => ({ status: 200, contentType: 'application/json', json: body })
const html = { status: 200, contentType: 'text/html', json: undefined }

describe('probeApi', () => {
  it('both APIs (1.18): v2, with the version checked', async () => {
    const probe = await probeApi(async (path) =>
      path === '/api/session/active' ? json({ data: {} }) : json({ healthy: true, version: '1.18.33' }),
    )
    expect(probe).toEqual({
      api: 'v2',
      offers: ['v2', 'v1'],
      version: '1.18.33',
      versionCheck: { status: 'supported', version: '1.18.33' },
    })
  })

  it("the web app's HTML with 200 on /api/*: v1 only", async () => {
    const probe = await probeApi(async (path) =>
      path === '/api/session/active' ? html : json({ healthy: true, version: '1.15.13' }),
    )
    expect(probe).toMatchObject({ api: 'v1', offers: ['v1'] })
  })

  it('a version outside the range is checked, not refused', async () => {
    const probe = await probeApi(async (path) =>
      path === '/api/session/active' ? json({ data: {} }) : json({ healthy: true, version: '2.0.1' }),
    )
    expect(probe.api).toBe('v2')
    expect(probe.versionCheck).toMatchObject({ status: 'newer', version: '2.0.1' })
  })

  it('neither: UnsupportedServerError saying what each route answered', async () => {
    const error = await probeApi(async () => html).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnsupportedServerError)
    expect((error as UnsupportedServerError).found).toContain('GET /api/session/active → 200 text/html')
  })

  it('unreachable: the ConnectionError itself', async () => {
    const down = new ConnectionError('refused')
    await expect(
      probeApi(async () => {
        throw down
      }),
    ).rejects.toBe(down)
  })
})

describe('Client: the probed version', () => {
  const serverAt =
    (version: string): typeof fetch =>
    async (input) => {
      const path = new URL(String(input)).pathname
      const body = path === '/api/session/active' ? { data: {} } : { healthy: true, version }
      return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })
    }

  it('outside the tested range: one warning through onError, the client goes on', async () => {
    const reports: [unknown, Record<string, unknown>][] = []
    const client = new Client({
      baseUrl: 'http://opencode.test',
      fetch: serverAt('2.0.1'),
      onError: (error, context) => {
        reports.push([error, { ...context }])
      },
    })
    expect(await client.api()).toBe('v2')
    expect(await client.api()).toBe('v2')
    expect(reports).toHaveLength(1)
    expect(reports[0]?.[0]).toBeInstanceOf(UnsupportedServerError)
    expect(String((reports[0]?.[0] as Error | undefined)?.message)).toMatch(
      /2\.0\.1 is newer than the tested range/,
    )
    expect(reports[0]?.[1]).toMatchObject({ action: 'probe', severity: 'warning', handled: true })
  })

  it('inside the range: silent', async () => {
    const reports: unknown[] = []
    const client = new Client({
      baseUrl: 'http://opencode.test',
      fetch: serverAt('1.18.33'),
      onError: (error) => {
        reports.push(error)
      },
    })
    await client.api()
    expect(client.probe?.versionCheck?.status).toBe('supported')
    expect(reports).toEqual([])
  })
})
