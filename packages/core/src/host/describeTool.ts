import { canonicalTodo } from '../wire/canonicalTodo.js'
import { isBlank, isObject, type JsonObject } from '../wire/types.js'
import type { TodoView, ToolView } from './TurnEvent.js'

/** How one tool is labelled: its kind, what it does while running, what it did, and its icon. */
export interface ToolLabel {
  /** `Read`. */
  label: string
  /** `Reading`. */
  activity: string
  /** `Read` (as in "Read src/app.ts"). */
  done: string
  /** An icon name of your icon set. */
  icon: string
}

/** Options of {@link describeTool}: your own labels and icons, merged over the built-in ones. */
export interface DescribeToolOptions {
  /** Labels by canonical tool name (`read`, `bash`, `web_search_exa`…); fields you omit keep the built-in ones. */
  labels?: Readonly<Record<string, Partial<ToolLabel>>>
  /** Icon names by canonical tool name; shorthand for `labels[name].icon`. */
  icons?: Readonly<Record<string, string>>
  /** The icon of tools without one (default `sparkles`). */
  defaultIcon?: string
}

const BUILT_IN: Readonly<Record<string, ToolLabel>> = {
  read: { label: 'Read', activity: 'Reading', icon: 'document', done: 'Read' },
  write: { label: 'Write', activity: 'Writing', icon: 'document_plus', done: 'Wrote' },
  edit: { label: 'Edit', activity: 'Editing', icon: 'pencil_square', done: 'Edited' },
  multiedit: { label: 'Edit', activity: 'Editing', icon: 'pencil_square', done: 'Edited' },
  apply_patch: {
    label: 'Patch',
    activity: 'Applying changes',
    icon: 'pencil_square',
    done: 'Applied changes to',
  },
  bash: { label: 'Bash', activity: 'Running command', icon: 'command_line', done: 'Ran' },
  grep: {
    label: 'Grep',
    activity: 'Searching files',
    icon: 'document_magnifying_glass',
    done: 'Searched for',
  },
  glob: { label: 'Glob', activity: 'Searching files', icon: 'magnifying_glass', done: 'Searched for' },
  list: { label: 'LS', activity: 'Listing files', icon: 'rectangle_stack', done: 'Listed' },
  ls: { label: 'LS', activity: 'Listing files', icon: 'rectangle_stack', done: 'Listed' },
  webfetch: { label: 'Fetch', activity: 'Reading web page', icon: 'globe', done: 'Fetched' },
  websearch: { label: 'Web search', activity: 'Searching the web', icon: 'globe', done: 'Searched' },
  codesearch: {
    label: 'Code search',
    activity: 'Searching code',
    icon: 'magnifying_glass',
    done: 'Searched code for',
  },
  web_search_exa: { label: 'Web search', activity: 'Searching the web', icon: 'globe', done: 'Searched' },
  search_web: { label: 'Web search', activity: 'Searching the web', icon: 'globe', done: 'Searched' },
  fetch_url: { label: 'Fetch', activity: 'Reading web page', icon: 'globe', done: 'Fetched' },
  get_code_context_exa: {
    label: 'Code lookup',
    activity: 'Looking up code',
    icon: 'document_magnifying_glass',
    done: 'Looked up',
  },
  company_research_exa: {
    label: 'Company research',
    activity: 'Researching company',
    icon: 'globe',
    done: 'Researched',
  },
  todowrite: { label: 'Plan', activity: 'Planning', icon: 'queue_list', done: 'Updated plan' },
  todoread: { label: 'Plan', activity: 'Reading plan', icon: 'queue_list', done: 'Read plan' },
  task: { label: 'Task', activity: 'Researching', icon: 'robot', done: 'Ran subtask' },
  skill: { label: 'Skill', activity: 'Loading skill', icon: 'sparkles', done: 'Loaded skill' },
  question: { label: 'Question', activity: 'Asking', icon: 'chat_bubble', done: 'Asked' },
}

/** MCP providers recognized by prefix, in match order. */
const PROVIDERS: ReadonlyArray<{ name: string; prefix: string; canonical: readonly string[] }> = [
  {
    name: 'exa',
    prefix: 'exa_',
    canonical: ['web_search_exa', 'get_code_context_exa', 'company_research_exa'],
  },
  { name: 'brave', prefix: 'brave_', canonical: [] },
  { name: 'serper', prefix: 'serper_', canonical: [] },
  { name: 'tavily', prefix: 'tavily_', canonical: [] },
  { name: 'local-web-search', prefix: 'local-web-search_', canonical: ['search_web', 'fetch_url'] },
]

const LANGUAGE_BY_EXTENSION: Readonly<Record<string, string>> = {
  md: 'markdown',
  markdown: 'markdown',
  rb: 'ruby',
  py: 'python',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  jsx: 'jsx',
  json: 'json',
  yml: 'yaml',
  yaml: 'yaml',
  html: 'html',
  css: 'css',
  scss: 'scss',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  sql: 'sql',
  go: 'go',
  rs: 'rust',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  hpp: 'cpp',
  java: 'java',
  kt: 'kotlin',
  swift: 'swift',
  php: 'php',
  lua: 'lua',
  toml: 'toml',
  xml: 'xml',
}

const TODO_RANK: Readonly<Record<string, number>> = { in_progress: 0, pending: 1, completed: 2 }

/** Longest `output` a view carries; the stored part keeps all of it. */
const MAX_OUTPUT = 4000

const text = (value: unknown): string | undefined => (isBlank(value) ? undefined : String(value))

/** `exa_web_fetch_exa` → `web_fetch`; built-in names and unknown names unchanged. */
function canonicalName(name: string): string {
  if (name === '' || BUILT_IN[name]) return name
  for (const provider of PROVIDERS) {
    if (!name.startsWith(provider.prefix)) continue
    const rest = name.slice(provider.prefix.length)
    if (BUILT_IN[rest]) return rest
    const suffix = `_${provider.prefix.replace(/_$/, '')}`
    if (!rest.endsWith(suffix)) return rest
    const bare = rest.slice(0, -suffix.length)
    return bare === '' ? rest : bare
  }
  return name
}

/** `web_fetch` → `Web fetch`. */
const labelFromName = (name: string): string =>
  name
    .replace(/_/g, ' ')
    .trim()
    .replace(/^\w/, (c) => c.toUpperCase())

function targetOf(name: string, input: JsonObject): string | undefined {
  switch (name) {
    case 'read':
    case 'write':
    case 'edit':
    case 'multiedit':
    case 'apply_patch':
      return text(input.filePath ?? input.path)
    case 'bash':
      return text(input.command)
    case 'grep':
    case 'glob':
      return text(input.pattern)
    case 'list':
    case 'ls':
      return text(input.path)
    case 'webfetch':
    case 'fetch_url':
      return text(input.url)
    case 'websearch':
    case 'codesearch':
    case 'web_search_exa':
    case 'get_code_context_exa':
    case 'company_research_exa':
      return text(input.query)
    case 'search_web':
      return text(input.q)
    case 'task':
      return text(input.description)
    case 'skill':
      return text(input.skill_name ?? input.name)
    default:
      return undefined
  }
}

function languageOf(target: string | undefined): string | undefined {
  const name = (target ?? '').split('/').pop() ?? ''
  const dot = name.lastIndexOf('.')
  if (dot <= 0) return undefined
  const extension = name.slice(dot + 1).toLowerCase()
  return LANGUAGE_BY_EXTENSION[extension] ?? extension
}

function todosOf(input: JsonObject): TodoView[] {
  if (!Array.isArray(input.todos)) return []
  const todos = (input.todos as unknown[]).filter(isObject).map((todo) => todoView(todo))
  const rank = (todo: TodoView) => TODO_RANK[todo.status] ?? 99
  return todos
    .map((todo, index) => ({ todo, index }))
    .sort((a, b) => rank(a.todo) - rank(b.todo) || a.index - b.index)
    .map(({ todo }) => todo)
}

/** One todo as plain JSON, its status canonical (`in-progress` → `in_progress`). */
export function todoView(todo: JsonObject): TodoView {
  const canonical = canonicalTodo(todo)
  const view: TodoView = {
    content: String(canonical.content ?? ''),
    status: String(canonical.status ?? 'pending'),
  }
  if (typeof canonical.id === 'string') view.id = canonical.id
  if (typeof canonical.priority === 'string') view.priority = canonical.priority
  return view
}

function statusOf(value: unknown): ToolView['status'] {
  return value === 'running' || value === 'completed' || value === 'error' ? value : 'pending'
}

/**
 * A JSON view of one tool call, ready to render or to send to a browser as is: its label, what it
 * is doing or did, the icon, what it acted on (a path, a command, a URL, a query), the highlighting
 * language, the diff of an edit, the content of a write, the (truncated) output, the error, the
 * todo list. Accepts a stored tool part (`{type: 'tool', tool, status, input, …}`, as in
 * `MessageRow.parts`) or a raw server part (`{tool, state: {status, input, …}}`). Pure; safe on any
 * input. Labels and icons are yours to override.
 *
 * @example
 * ```ts
 * const view = describeTool({ type: 'tool', tool: 'read', status: 'running', input: { filePath: 'src/app.ts' } })
 * view.title    // "Read: src/app.ts"
 * view.activity // "Reading"
 * view.language // "typescript"
 * describeTool(part, { icons: { bash: 'terminal' }, labels: { read: { label: 'Open' } } })
 * ```
 */
export function describeTool(part: unknown, options: DescribeToolOptions = {}): ToolView {
  const stored = normalize(part)
  const tool = stored.tool
  const name = canonicalName(tool)
  const builtIn = BUILT_IN[name]
  const override = options.labels?.[name]
  const known = builtIn !== undefined || override !== undefined
  const label = override?.label ?? builtIn?.label ?? labelFromName(name)
  const activity = override?.activity ?? builtIn?.activity ?? `${label}...`
  const done = override?.done ?? builtIn?.done ?? label
  const icon = options.icons?.[name] ?? override?.icon ?? builtIn?.icon ?? options.defaultIcon ?? 'sparkles'
  const input = stored.input
  const metadata = stored.metadata
  const target = targetOf(name, input)
  const serverTitle = text(stored.title)

  const view: ToolView = {
    tool,
    name,
    provider: providerOf(tool, name),
    status: statusOf(stored.status),
    label,
    title: known ? (target ? `${label}: ${target}` : label) : (serverTitle ?? label),
    activity,
    summary: known ? (target ? `${done} ${target}` : done) : (serverTitle ?? label),
    icon,
  }
  if (target !== undefined) view.target = target
  const language = languageOf(target)
  if (language !== undefined) view.language = language
  const diff = text(metadata.diff)
  if (diff !== undefined) view.diff = diff
  if (name === 'write') {
    const content = text(input.content)
    if (content !== undefined) view.content = content
  }
  const output =
    name === 'bash' ? text(metadata.output ?? metadata.stdout ?? stored.output) : text(stored.output)
  if (output !== undefined)
    view.output = output.length > MAX_OUTPUT ? `${output.slice(0, MAX_OUTPUT)}…` : output
  if (view.status === 'error') {
    const error = text(stored.error)
    if (error !== undefined) view.error = error
  }
  if (name === 'bash') {
    const description = text(metadata.description)
    if (description !== undefined) view.description = description
  }
  if (name === 'grep' || name === 'glob') {
    const count = Number(name === 'grep' ? metadata.matches : metadata.count)
    if (Number.isFinite(count)) view.matchCount = Math.trunc(count)
  }
  if (name === 'todowrite' || name === 'todoread') view.todos = todosOf(input)
  return view
}

function providerOf(tool: string, name: string): string {
  for (const provider of PROVIDERS) {
    if (tool.startsWith(provider.prefix) || provider.canonical.includes(name)) return provider.name
  }
  return BUILT_IN[name] ? 'opencode-builtin' : 'unknown'
}

interface StoredTool {
  tool: string
  status: unknown
  title: unknown
  input: JsonObject
  metadata: JsonObject
  output: unknown
  error: unknown
}

/** A stored part as is; a raw server part (`state: {…}`) flattened. */
function normalize(part: unknown): StoredTool {
  const record = isObject(part) ? part : {}
  const state = isObject(record.state) ? record.state : record
  return {
    tool: record.tool === undefined || record.tool === null ? '' : String(record.tool),
    status: state.status,
    title: state.title,
    input: isObject(state.input) ? state.input : {},
    metadata: isObject(state.metadata) ? state.metadata : {},
    output: state.output,
    error: state.error,
  }
}
