import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { knexAdapter, opencodeMigrations } from '@opencode-kit/adapter-knex'
import { type Client, createOpencodeKit, type RowId } from '@opencode-kit/core'
import type { StoragePort } from '@opencode-kit/core/adapter'
import type { Knex } from 'knex'
import { ChatEvents } from './ChatEvents.js'

const PUBLIC = new URL('../public/', import.meta.url)

/** Options of {@link createWebChat}. */
export interface WebChatOptions {
  knex: Knex
  client: Client
  storage: StoragePort
  /** Port to listen on (default: a free one). */
  port?: number
}

/** A running web chat. */
export interface WebChat {
  url: string
  server: Server
  close(): Promise<void>
}

/**
 * A small chat app: the browser posts a message, the server starts a turn in the background and
 * relays its `TurnEvent`s to the page over SSE. A Stop button cancels the
 * turn (an AbortSignal here; another process would call `messages.cancel` + `session.abort`).
 * In production run the turn in a job queue (see examples/worker-queue); it is in-process here to
 * keep the example small.
 */
export async function createWebChat(options: WebChatOptions): Promise<WebChat> {
  const { knex, client, storage } = options
  await knex.migrate.latest({ migrationSource: opencodeMigrations(), tableName: 'opencode_kit_migrations' })
  const kit = createOpencodeKit({ client, ...knexAdapter(knex), storage, permissions: 'server-defaults' })
  const { messages } = kit
  const feeds = new Map<string, ChatEvents>()
  const stops = new Map<string, AbortController>()
  const turns = new Set<Promise<unknown>>()

  const insert = async (table: string, row: Record<string, unknown>): Promise<RowId> => {
    const [inserted] = await knex(table).insert(row).returning('id')
    return typeof inserted === 'object' ? (inserted as { id: RowId }).id : (inserted as RowId)
  }

  async function startTurn(conversationId: RowId, text: string): Promise<RowId> {
    const messageId = await insert('opencode_messages', { subject_id: conversationId })
    const feed = new ChatEvents()
    const stop = new AbortController()
    feeds.set(String(messageId), feed)
    stops.set(String(messageId), stop)
    const turn = kit.startTurn({ subjectId: conversationId, messageId, prompt: text, signal: stop.signal })
    const run = Promise.all([feed.follow(turn.events), turn.result]).finally(() => {
      stops.delete(String(messageId))
      turns.delete(run)
    })
    turns.add(run)
    return messageId
  }

  const routes: [
    string,
    RegExp,
    (req: IncomingMessage, res: ServerResponse, m: RegExpMatchArray) => Promise<void>,
  ][] = [
    ['GET', /^\/$/, (_req, res) => sendFile(res, 'index.html', 'text/html; charset=utf-8')],
    ['GET', /^\/app\.js$/, (_req, res) => sendFile(res, 'app.js', 'text/javascript; charset=utf-8')],
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
      'POST',
      /^\/api\/conversations\/([^/]+)\/messages$/,
      async (req, res, m) => {
        const text = String((await readJson(req)).text ?? '').trim()
        if (!text) return sendJson(res, 400, { error: 'text is required' })
        sendJson(res, 202, { messageId: await startTurn(decodeURIComponent(String(m[1])), text) })
      },
    ],
    [
      'GET',
      /^\/api\/messages\/([^/]+)\/events$/,
      async (req, res, m) => {
        const feed = feeds.get(decodeURIComponent(String(m[1])))
        if (!feed) return sendJson(res, 404, { error: 'unknown message' })
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
        const unsubscribe = feed.subscribe((event) => {
          res.write(`data: ${JSON.stringify(event)}\n\n`)
          if (event.type === 'finish') res.end()
        })
        req.on('close', unsubscribe)
      },
    ],
    [
      'POST',
      /^\/api\/messages\/([^/]+)\/stop$/,
      async (_req, res, m) => {
        const id = decodeURIComponent(String(m[1]))
        const stop = stops.get(id)
        // In this process: abort the turn. Elsewhere: the CAS cancel wins over any later finalize.
        if (stop) stop.abort()
        else await messages.cancel(id)
        sendJson(res, 202, { stopping: true })
      },
    ],
    [
      'GET',
      /^\/api\/messages\/([^/]+)\/artifacts$/,
      async (_req, res, m) => {
        const id = decodeURIComponent(String(m[1]))
        const artifacts = await storage.list(id)
        sendJson(
          res,
          200,
          artifacts.map((a) => ({
            filename: a.filename,
            size: a.size,
            url: `/api/messages/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(a.filename)}`,
          })),
        )
      },
    ],
    [
      'GET',
      /^\/api\/messages\/([^/]+)\/artifacts\/([^/]+)$/,
      async (_req, res, m) => {
        const id = decodeURIComponent(String(m[1]))
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
      for (const stop of stops.values()) stop.abort()
      await Promise.allSettled([...turns])
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function sendFile(res: ServerResponse, name: string, type: string): Promise<void> {
  res.writeHead(200, { 'content-type': type })
  res.end(await readFile(new URL(name, PUBLIC)))
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
