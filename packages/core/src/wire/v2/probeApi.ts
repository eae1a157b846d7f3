import { ConnectionError, UnsupportedServerError } from '../errors.js'
import { checkOpencodeVersion, type OpencodeVersionCheck } from '../opencodeVersions.js'
import { isObject } from '../types.js'

/** Which of OpenCode's server APIs a client speaks: the legacy routes or `/api/*` (OpenCode 2.0's). */
export type OpencodeApi = 'v1' | 'v2'

/** What {@link probeApi} learned about a server. */
export interface ApiProbe {
  /** The API the client will speak: v2 when the server offers it, else v1. */
  api: OpencodeApi
  /** The APIs the server answered on. */
  offers: OpencodeApi[]
  /** The server's version (`GET /global/health`), when it says. */
  version?: string
  /** {@link checkOpencodeVersion} of that version: inside the supported, tested range or not. */
  versionCheck?: OpencodeVersionCheck
}

/** One raw GET as the probe sees it: status, content type and the body parsed when it is JSON. */
export type ProbeGet = (path: string) => Promise<{ status: number; contentType: string; json: unknown }>

/**
 * Learn what a server offers with two cheap GETs, without trusting status codes alone (some builds
 * answer unknown `/api/*` routes with the web app's HTML and 200):
 * - `GET /api/session/active` answering JSON `{data: {…}}` → the v2 API (the transport needs this
 *   route: it is v2's only "is the session still running" signal);
 * - `GET /global/health` answering JSON `{healthy}` → the legacy API (and the version).
 * Picks v2 when offered, else v1; a server with neither gets {@link UnsupportedServerError} naming
 * what each route answered. The version is checked against the supported range
 * (`versionCheck`); the probe does not refuse a version outside it (`Client` warns). An unreachable server is a {@link ConnectionError}.
 *
 * @example
 * ```ts
 * const probe = await probeApi(async (path) => {
 *   const response = await fetch(`http://127.0.0.1:4096${path}`)
 *   const contentType = response.headers.get('content-type') ?? ''
 *   return { status: response.status, contentType, json: contentType.includes('json') ? await response.json() : undefined }
 * })
 * console.log(probe.api, probe.version)
 * ```
 */
export async function probeApi(get: ProbeGet): Promise<ApiProbe> {
  const [v2, v1] = await Promise.allSettled([get('/api/session/active'), get('/global/health')])
  for (const outcome of [v2, v1])
    if (outcome.status === 'rejected' && outcome.reason instanceof ConnectionError) throw outcome.reason
  const offers: OpencodeApi[] = []
  const json = (outcome: typeof v2) =>
    outcome.status === 'fulfilled' &&
    outcome.value.status === 200 &&
    outcome.value.contentType.includes('json')
      ? outcome.value.json
      : undefined
  const active = json(v2)
  if (isObject(active) && isObject(active.data)) offers.push('v2')
  const health = json(v1)
  if (isObject(health) && typeof health.healthy === 'boolean') offers.push('v1')
  const version = isObject(health) && typeof health.version === 'string' ? health.version : undefined
  const first = offers[0]
  if (first === undefined) {
    const found = [`GET /api/session/active → ${describe(v2)}`, `GET /global/health → ${describe(v1)}`].join(
      '; ',
    )
    throw new UnsupportedServerError(`The server speaks neither OpenCode API (${found})`, { found })
  }
  return {
    api: first,
    offers,
    ...(version === undefined ? {} : { version, versionCheck: checkOpencodeVersion(version) }),
  }
}

function describe(
  outcome: PromiseSettledResult<{ status: number; contentType: string; json: unknown }>,
): string {
  if (outcome.status === 'rejected')
    return `failed: ${outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason)}`
  const { status, contentType, json } = outcome.value
  const shape = json === undefined ? '' : ` ${JSON.stringify(json).slice(0, 80)}`
  return `${status} ${contentType || 'no content type'}${shape}`
}
