// The browser side: post a message, then follow the assistant message's SSE feed.
const log = document.getElementById('log')
const form = document.getElementById('composer')
const input = document.getElementById('text')
const stopButton = document.getElementById('stop')
let conversationId
let current

const el = (tag, className, text) => {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  })
  if (!response.ok) throw new Error(`${path}: ${response.status}`)
  return response.json()
}

function follow(messageId) {
  const bubble = el('div', 'msg assistant')
  bubble.dataset.messageId = messageId
  bubble.dataset.status = 'streaming'
  log.append(bubble)
  const parts = new Map() // part index → element
  const partEl = (index, className) => {
    if (!parts.has(index)) {
      const node = el('div', className)
      parts.set(index, node)
      bubble.append(node)
    }
    return parts.get(index)
  }
  let todos
  const events = new EventSource(`/api/messages/${messageId}/events`)
  events.onmessage = (message) => {
    const event = JSON.parse(message.data)
    if (event.type === 'text') {
      partEl(event.index, event.reasoning ? 'reasoning' : 'text').textContent += event.delta
    } else if (event.type === 'tool') {
      const node = partEl(event.index, 'tool')
      node.dataset.status = event.status
      node.textContent =
        event.status === 'completed' || event.status === 'error' ? event.title : `${event.gerund}…`
    } else if (event.type === 'todos') {
      todos ??= bubble.appendChild(el('ul', 'todos'))
      todos.replaceChildren(
        ...event.todos.map((t) => el('li', `todo ${t.status}`, `[${t.status}] ${t.content}`)),
      )
    } else if (event.type === 'retry') {
      bubble.dataset.retries = String(event.attempt ?? '')
    } else if (event.type === 'done') {
      events.close()
      bubble.dataset.status = event.status
      if (event.status !== 'completed' && event.content) {
        for (const node of bubble.querySelectorAll('.text')) node.remove()
        bubble.append(el('div', 'text', event.content))
      }
      const meta = el(
        'div',
        'meta',
        `${event.status} · ${(event.durationMs / 1000).toFixed(1)} s` +
          (event.cost != null ? ` · $${event.cost.toFixed(6)}` : ''),
      )
      bubble.append(meta)
      for (const artifact of event.artifacts) {
        const link = el('a', 'artifact', `${artifact.filename} (${artifact.size} B)`)
        link.href = artifact.url
        link.download = artifact.filename
        bubble.append(el('div'), link)
      }
      stopButton.disabled = true
      current = undefined
    }
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  const text = input.value.trim()
  if (!text || current) return
  input.value = ''
  conversationId ??= (await post('/api/conversations', { title: text.slice(0, 40) })).id
  log.append(el('div', 'msg user', text))
  const { messageId } = await post(`/api/conversations/${conversationId}/messages`, { text })
  current = messageId
  stopButton.disabled = false
  follow(messageId)
})

stopButton.addEventListener('click', async () => {
  if (current) await post(`/api/messages/${current}/stop`)
})
