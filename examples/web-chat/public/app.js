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
  const parts = new Map() // TurnEvent partId → element
  const partEl = (partId, className) => {
    if (!parts.has(partId)) {
      const node = el('div', className)
      parts.set(partId, node)
      bubble.append(node)
    }
    return parts.get(partId)
  }
  let todos
  // The server relays the turn's TurnEvents as they are (see @opencode-kit/core's TurnEvent).
  const events = new EventSource(`/api/messages/${messageId}/events`)
  events.onmessage = async (message) => {
    const event = JSON.parse(message.data)
    if (event.type === 'text-delta' || event.type === 'reasoning-delta') {
      partEl(event.partId, event.type === 'reasoning-delta' ? 'reasoning' : 'text').textContent += event.text
    } else if (event.type === 'tool') {
      if (event.tool.name === 'todowrite') return // shown as the todo list
      const node = partEl(event.partId, 'tool')
      node.dataset.status = event.tool.status
      node.textContent =
        event.tool.status === 'completed' || event.tool.status === 'error'
          ? event.tool.title
          : `${event.tool.activity}…`
    } else if (event.type === 'todos') {
      todos ??= bubble.appendChild(el('ul', 'todos'))
      todos.replaceChildren(
        ...event.todos.map((t) => el('li', `todo ${t.status}`, `[${t.status}] ${t.content}`)),
      )
    } else if (event.type === 'retry') {
      bubble.dataset.retries = String(event.attempt)
    } else if (event.type === 'restart') {
      for (const node of parts.values()) node.remove()
      parts.clear()
    } else if (event.type === 'finish') {
      events.close()
      bubble.dataset.status = event.status
      if (event.status !== 'completed' && event.content) {
        for (const node of bubble.querySelectorAll('.text')) node.remove()
        bubble.append(el('div', 'text', event.content))
      }
      const cost = event.usage.cost > 0 ? ` · $${event.usage.cost.toFixed(6)}` : ''
      bubble.append(el('div', 'meta', `${event.status} · ${(event.durationMs / 1000).toFixed(1)} s${cost}`))
      const artifacts = await (await fetch(`/api/messages/${messageId}/artifacts`)).json()
      for (const artifact of artifacts) {
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
