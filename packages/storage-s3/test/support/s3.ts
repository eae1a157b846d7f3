// The S3 client the tests use against the S3-compatible server the test command starts, and a
// fault-injecting HTTP proxy in front of it.

import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { s3 } from '../../../../test-utils/services.js'

/** Options S3-compatible servers need: path-style URLs, checksums only when required. */
export function testClient(overrides: Partial<S3ClientConfig> = {}): S3Client {
  const config = s3()
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...overrides,
  })
}

export interface FaultProxy {
  url: string
  /** Requests seen, in order: `METHOD path`. */
  readonly seen: string[]
  /** Answer the next `n` requests with HTTP 500 InternalError. */
  failNext(n: number): void
  /** Cut the connection of the next request that has a body, after `bytes` of it arrived. */
  cutNextUploadAfter(bytes: number): void
  close(): Promise<void>
}

/** A proxy to the real S3-compatible server that can fail requests on demand. */
export async function startFaultProxy(): Promise<FaultProxy> {
  const target = new URL(s3().endpoint)
  const seen: string[] = []
  let failures = 0
  let cutAfter: number | undefined
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    if (failures > 0) {
      failures--
      req.resume()
      res.writeHead(500, { 'content-type': 'application/xml' })
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>',
      )
      return
    }
    const hasBody = req.method === 'PUT' || req.method === 'POST'
    if (hasBody && cutAfter !== undefined) {
      const limit = cutAfter
      cutAfter = undefined
      let received = 0
      req.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (received >= limit) req.socket.destroy() // the server vanished mid-upload
      })
      return
    }
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    failNext: (n) => {
      failures = n
    },
    cutNextUploadAfter: (bytes) => {
      cutAfter = bytes
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
