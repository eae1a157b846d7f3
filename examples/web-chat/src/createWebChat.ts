import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { knexAdapter } from '@opencode-kit/adapter-knex'
import {
  Client,
  InvalidArgumentError,
  type RequestAnswer,
  RequestNotPendingError,
  type RowId,
  RowNotFoundError,
  replyToRequest,
  sendTurnEvents,
} from '@opencode-kit/core'
import type { StoragePort } from '@opencode-kit/core/adapter'
import { createRedisRelay, finishEventFromRow } from '@opencode-kit/relay-redis'
import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Knex } from 'knex'
import { bullConnection, type ChatJob, chatKeys } from './chatSetup.js'

const PUBLIC = new URL('../public/', import.meta.url)
// The browser reader ships in @opencode-kit/core's build as plain ESM (browser.js and the chunks it
// imports): served as it is here; an app with a bundler imports '@opencode-kit/core/browser'.
const BROWSER_BUILD = new URL('dist/', import.meta.resolve('@opencode-kit/core/package.json'))

/** Options of {@link createWebChat}. */
export interface WebChatOptions {
  knex: Knex
  /** The OpenCode server (URL or client): the web process sends the user's answers to requests there. */
  opencode: string | Client
  storage: StoragePort
  /** For the relay's reads and the stop channel (never closed here). */
  redis: Redis
  /** Where BullMQ connects (`redis://…`). */
  redisUrl: string
  /** Prefix of every Redis name (default `web-chat`); the workers must use the same. */
  keyPrefix?: string
  /** Port to listen on (default: a free one). */
  port?: number
}

/** A running web process. */
export interface WebChat {
  url: string
  server: Server
  close(): Promise<void>
}

/**
 * The web process of the chat: serves the page, stores the user's message, enqueues the turn for a
 * worker (examples/web-chat/src/worker.ts) and streams the turn's events to the browser from the
 * Redis relay — from the start, or after the browser's `Last-Event-ID` when it reconnects, from
 * whichever web process it reaches. Stop is the row's compare-and-set cancel, announced to the
 * workers on a Redis channel. Holds no turn state: kill it, start another, nothing is lost.
 */
export async function createWebChat(options: WebChatOptions): Promise<WebChat> {
  const { knex, storage, redis } = options
  const keys = chatKeys(options.keyPrefix)
  const { messages } = knexAdapter(knex)
  const client =
    typeof options.opencode === 'string' ? new Client({ baseUrl: options.opencode }) : options.opencode
  const relay = createRedisRelay({ redis, prefix: keys.relayPrefix })
  const queue = new Queue<ChatJob>(keys.queueName, {
    connection: bullConnection(options.redisUrl),
    prefix: keys.queuePrefix,
  })

  const insert = async (table: string, row: Record<string, unknown>): Promise<RowId> => {
    const [inserted] = await knex(table).insert(row).returning('id')
    return typeof inserted === 'object' ? (inserted as { id: RowId }).id : (inserted as RowId)
  }
  const messageExists = async (id: string) =>
    /^\d+$/.test(id) && Boolean(await knex('opencode_messages').where({ id }).first('id'))

  const routes: [
    string,
    RegExp,
    (req: IncomingMessage, res: ServerResponse, m: RegExpMatchArray) => Promise<void>,
  ][] = [
    ['GET', /^\/$/, (_req, res) => sendFile(res, new URL('index.html', PUBLIC), 'text/html')],
    ['GET', /^\/favicon\.ico$/, async (_req, res) => void res.writeHead(204).end()],
    ['GET', /^\/app\.js$/, (_req, res) => sendFile(res, new URL('app.js', PUBLIC), 'text/javascript')],
    [
      'GET',
      /^\/vendor\/opencode-kit\/((?:browser|chunk-[A-Za-z0-9_-]+)\.js)$/,
      (_req, res, m) => sendFile(res, new URL(String(m[1]), BROWSER_BUILD), 'text/javascript'),
    ],
    [
      'POST',
      /^\/api\/conversations$/,
      async (req, res) => {
        const body = await readJson(req)
        const id = await insert('opencode_subjects', { title: String(body.title ?? 'Chat') })
        sendJson(res, 201, { id })
      },
    ],
    [
      'GET',
      /^\/api\/conversations\/(\d+)\/messages$/,
      async (_req, res, m) => {
        // The conversation so far, for a page opened (or reloaded) at any time.
        const rows = await knex('opencode_messages as m')
          .leftJoin('chat_prompts as p', 'p.message_id', 'm.id')
          .where('m.subject_id', String(m[1]))
          .orderBy('m.id')
          .select('m.id', 'm.status', 'p.text')
        sendJson(
          res,
          200,
          rows.map((row) => ({ messageId: row.id, status: row.status, prompt: row.text ?? '' })),
        )
      },
    ],
    [
      'POST',
      /^\/api\/conversations\/(\d+)\/messages$/,
      async (req, res, m) => {
        const text = String((await readJson(req)).text ?? '').trim()
        if (!text) return sendJson(res, 400, { error: 'text is required' })
        const subjectId = String(m[1])
        const messageId = await knex.transaction(async (trx) => {
          const [row] = await trx('opencode_messages').insert({ subject_id: subjectId }).returning('id')
          const id = typeof row === 'object' ? (row as { id: RowId }).id : (row as RowId)
          await trx('chat_prompts').insert({ message_id: id, subject_id: subjectId, text })
          return id
        })
        // The job id is the message id: enqueueing twice never runs the same reply twice.
        await queue.add(
          'turn',
          { subjectId, messageId, prompt: text },
          { jobId: `message-${messageId}`, removeOnComplete: 1000, removeOnFail: 1000 },
        )
        sendJson(res, 202, { messageId })
      },
    ],
    [
      'GET',
      /^\/api\/messages\/(\d+)\/events$/,
      async (req, res, m) => {
        const id = String(m[1])
        if (!(await messageExists(id))) return sendJson(res, 404, { error: 'unknown message' })
        // From the start, or after the browser's Last-Event-ID; once the log has expired the row
        // answers. Closing the tab ends the subscription.
        await sendTurnEvents(req, res, ({ after, signal }) =>
          relay.subscribe(id, {
            after,
            signal,
            settled: async () => finishEventFromRow(await messages.load(id)),
          }),
        )
      },
    ],
    [
      'POST',
      /^\/api\/messages\/(\d+)\/stop$/,
      async (_req, res, m) => {
        const id = String(m[1])
        // The compare-and-set wins over any later finalize, whichever worker runs the turn; the
        // announcement makes that worker abort now rather than at its next snapshot.
        const cancelled = await messages.cancel(id)
        if (cancelled) await redis.publish(keys.stopChannel, id)
        sendJson(res, 202, { cancelled })
      },
    ],
    [
      'POST',
      /^\/api\/messages\/(\d+)\/requests\/([\w-]+)$/,
      async (req, res, m) => {
        // The user's answer to a permission or question of the turn a worker runs: recorded on
        // the row with a compare-and-set (of two clicks exactly one wins), then sent to OpenCode;
        // the worker sees it on its stream and goes on.
        const answer = (await readJson(req)).answer as RequestAnswer
        try {
          const stored = await answerWhenRecorded(() =>
            replyToRequest({ messages, client }, String(m[1]), String(m[2]), answer),
          )
          sendJson(res, 200, { status: stored.status })
        } catch (error) {
          if (error instanceof RequestNotPendingError)
            return sendJson(res, 409, { error: error.message, status: error.requestStatus })
          if (error instanceof RowNotFoundError) return sendJson(res, 404, { error: error.message })
          if (error instanceof InvalidArgumentError) return sendJson(res, 400, { error: error.message })
          throw error
        }
      },
    ],
    [
      'GET',
      /^\/api\/messages\/(\d+)\/artifacts$/,
      async (_req, res, m) => {
        const id = String(m[1])
        const artifacts = await storage.list(id)
        sendJson(
          res,
          200,
          artifacts.map((a) => ({
            filename: a.filename,
            size: a.size,
            url: `/api/messages/${id}/artifacts/${encodeURIComponent(a.filename)}`,
          })),
        )
      },
    ],
    [
      'GET',
      /^\/api\/messages\/(\d+)\/artifacts\/([^/]+)$/,
      async (_req, res, m) => {
        const id = String(m[1])
        const filename = decodeURIComponent(String(m[2]))
        const info = (await storage.list(id)).find((a) => a.filename === filename)
        const body = info && (await storage.read(id, filename))
        if (!info || !body) return sendJson(res, 404, { error: 'no such artifact' })
        res.writeHead(200, {
          'content-type': info.contentType,
          'content-length': String(info.size),
          // Agent-written bytes: never rendered inline on our origin.
          'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`,
          'x-content-type-options': 'nosniff',
        })
        Readable.fromWeb(body as import('node:stream/web').ReadableStream).pipe(res)
      },
    ],
  ]

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    for (const [method, pattern, handle] of routes) {
      const match = req.method === method ? path.match(pattern) : null
      if (!match) continue
      try {
        await handle(req, res, match)
      } catch (error) {
        if (!res.headersSent) sendJson(res, 500, { error: (error as Error).message })
        else res.end()
      }
      return
    }
    sendJson(res, 404, { error: 'not found' })
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: async () => {
      server.closeAllConnections() // ends the event streams (their subscriptions end with them)
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await relay.close()
      await queue.close()
    },
  }
}

/**
 * The worker records a request on the row right after the agent asked, off its event stream, so a
 * quick click can arrive first: give the record a moment (≈ 2 s) before answering "no such request".
 */
async function answerWhenRecorded<T>(answer: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await answer()
    } catch (error) {
      if (!(error instanceof RowNotFoundError) || attempt >= 10) throw error
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
    }
  }
}

async function sendFile(res: ServerResponse, file: URL, type: string): Promise<void> {
  const body = await readFile(file)
  res.writeHead(200, { 'content-type': `${type}; charset=utf-8` })
  res.end(body)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > 64 * 1024) throw new Error('request body too large')
  }
  return body ? (JSON.parse(body) as Record<string, unknown>) : {}
}
