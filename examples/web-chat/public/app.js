// The browser side: post a message, then follow the assistant message's events with
// @opencode-kit/core/browser — readTurnEvents reconnects with Last-Event-ID after a drop (or a web
// process restart), foldTurnEvent keeps the view a render draws from.
import { foldTurnEvent, initialTurnView, readTurnEvents } from '/vendor/opencode-kit/browser.js'

const log = document.getElementById('log')
const form = document.getElementById('composer')
const input = document.getElementById('text')
const stopButton = document.getElementById('stop')
let conversationId = new URLSearchParams(location.hash.slice(1)).get('conversation') ?? undefined
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

/** Draw one assistant message from its TurnView. */
function render(bubble, view) {
  bubble.dataset.status = view.status
  bubble.dataset.lastSeq = String(view.lastSeq)
  bubble.dataset.gap = String(view.gap)
  const nodes = []
  for (const part of view.parts) {
    if (part.kind === 'tool') {
      if (part.tool.name === 'todowrite') continue // shown as the todo list
      const done = part.tool.status === 'completed' || part.tool.status === 'error'
      const node = el('div', 'tool', done ? part.tool.title : `${part.tool.activity}…`)
      node.dataset.status = part.tool.status
      nodes.push(node)
    } else {
      nodes.push(el('div', part.kind, part.text))
    }
  }
  if (view.status !== 'completed' && view.status !== 'running' && view.content && !view.gap) {
    // Stopped or failed: the row's content is what the user keeps.
    const texts = nodes.filter((node) => node.className === 'text')
    for (const node of texts) nodes.splice(nodes.indexOf(node), 1)
    nodes.push(el('div', 'text', view.content))
  }
  for (const entry of view.requests) nodes.push(requestCard(bubble, entry))
  if (view.todos.length > 0) {
    const list = el('ul', 'todos')
    list.append(...view.todos.map((t) => el('li', `todo ${t.status}`, `[${t.status}] ${t.content}`)))
    nodes.push(list)
  }
  if (view.retry) nodes.push(el('div', 'meta', `retrying (attempt ${view.retry.attempt})…`))
  if (view.usage) {
    const cost = view.usage.cost > 0 ? ` · $${view.usage.cost.toFixed(6)}` : ''
    nodes.push(el('div', 'meta', `${view.status}${cost}`))
  }
  bubble.replaceChildren(...nodes, ...bubble.querySelectorAll(':scope > .artifacts'))
}

const describeAnswer = (answer) =>
  Array.isArray(answer) ? answer.map((a) => [a].flat().join(', ')).join('; ') : String(answer ?? '')

/**
 * A permission or question the agent asked, as a card the user answers; kept across renders (so a
 * half-filled form survives the events that come meanwhile), updated when it resolves.
 */
function requestCard(bubble, entry) {
  bubble.cards ??= new Map()
  const { request } = entry
  let card = bubble.cards.get(request.id)
  if (!card) {
    card = el('form', `request ${request.kind}`)
    card.dataset.requestId = request.id
    const answer = async (value) => {
      card.querySelector('.error')?.remove()
      for (const button of card.querySelectorAll('button')) button.disabled = true
      const response = await fetch(`/api/messages/${bubble.dataset.messageId}/requests/${request.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ answer: value }),
      })
      if (!response.ok) {
        const { error } = await response.json().catch(() => ({ error: `HTTP ${response.status}` }))
        card.append(el('div', 'error', error))
        for (const button of card.querySelectorAll('button')) button.disabled = false
      }
    }
    const button = (label, className, value) => {
      const node = el('button', className, label)
      node.type = 'button'
      node.addEventListener('click', () => void answer(typeof value === 'function' ? value() : value))
      return node
    }
    if (request.kind === 'permission') {
      const choices = el('div', 'choices')
      choices.append(
        button('Allow once', 'once', 'once'),
        button('Always allow', 'always', 'always'),
        button('Reject', 'reject', 'reject'),
      )
      card.append(
        el('div', 'ask', `The agent asks for ${request.permission}: ${request.patterns.join(', ')}`),
        choices,
      )
    } else {
      request.questions.forEach((question, index) => {
        const fieldset = el('fieldset', 'question')
        fieldset.append(el('legend', undefined, question.question))
        for (const option of question.options ?? []) {
          const label = el('label')
          const input = el('input')
          input.type = question.multiple ? 'checkbox' : 'radio'
          input.name = `q${index}`
          input.value = option.label
          label.append(input, ` ${option.label}`)
          fieldset.append(label)
        }
        card.append(fieldset)
      })
      const chosen = () => ({
        answers: request.questions.map((_, index) =>
          [...card.querySelectorAll(`input[name="q${index}"]:checked`)].map((input) => input.value),
        ),
      })
      const choices = el('div', 'choices')
      choices.append(button('Answer', 'answer', chosen), button('Reject', 'reject', 'reject'))
      card.append(choices)
    }
    card.append(el('div', 'outcome'))
    bubble.cards.set(request.id, card)
  }
  card.dataset.status = entry.status
  const settled = entry.status !== 'pending'
  card.querySelector('.choices').hidden = settled
  for (const input of card.querySelectorAll('input')) input.disabled = settled
  card.querySelector('.outcome').textContent = settled
    ? `${entry.status}${entry.answer === undefined ? '' : `: ${describeAnswer(entry.answer)}`}`
    : ''
  return card
}

async function follow(messageId, prompt) {
  if (prompt) log.append(el('div', 'msg user', prompt))
  const bubble = el('div', 'msg assistant')
  bubble.dataset.messageId = messageId
  bubble.dataset.reconnects = '0'
  log.append(bubble)
  let view = initialTurnView
  render(bubble, view)
  const events = readTurnEvents(`/api/messages/${messageId}/events`, {
    maxRetryDelayMs: 2000,
    onReconnect: () => {
      bubble.dataset.reconnects = String(Number(bubble.dataset.reconnects) + 1)
    },
  })
  for await (const event of events) {
    view = foldTurnEvent(view, event)
    render(bubble, view)
  }
  if (current === messageId) {
    current = undefined
    stopButton.disabled = true
  }
  const artifacts = await (await fetch(`/api/messages/${messageId}/artifacts`)).json()
  if (artifacts.length > 0) {
    const list = bubble.appendChild(el('div', 'artifacts'))
    for (const artifact of artifacts) {
      const link = el('a', 'artifact', `${artifact.filename} (${artifact.size} B)`)
      link.href = artifact.url
      link.download = artifact.filename
      list.append(link)
    }
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  const text = input.value.trim()
  if (!text || current) return
  input.value = ''
  if (!conversationId) {
    conversationId = String((await post('/api/conversations', { title: text.slice(0, 40) })).id)
    history.replaceState(null, '', `#conversation=${conversationId}`)
  }
  const { messageId } = await post(`/api/conversations/${conversationId}/messages`, { text })
  current = String(messageId)
  stopButton.disabled = false
  void follow(current, text)
})

stopButton.addEventListener('click', async () => {
  if (current) await post(`/api/messages/${current}/stop`)
})

// A page opened (or reloaded) on a conversation: everything so far, then the live reply.
if (conversationId) {
  const messages = await (await fetch(`/api/conversations/${conversationId}/messages`)).json()
  for (const message of messages) {
    if (message.status === 'pending') {
      current = String(message.messageId)
      stopButton.disabled = false
    }
    void follow(String(message.messageId), message.prompt)
  }
}
