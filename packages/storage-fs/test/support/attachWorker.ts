// Child process of fsStorage.test.ts: attach one large version of the same filename.
import { fsStorage } from '../../src/index.js'

const [root, messageId, writer, sizeText] = process.argv.slice(2)
const size = Number(sizeText)
const chunk = new TextEncoder().encode(String(writer).repeat(64 * 1024))
async function* body() {
  for (let sent = 0; sent < size; sent += chunk.byteLength)
    yield chunk.subarray(0, Math.min(chunk.byteLength, size - sent))
}
await fsStorage({ root: String(root) }).attach(String(messageId), {
  filename: 'shared.bin',
  body: body(),
  contentType: 'application/octet-stream',
  metadata: { writer: String(writer) },
})
