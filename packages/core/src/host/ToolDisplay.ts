import { canonicalTodo } from '../wire/canonicalTodo.js'
import { isBlank, isObject, type JsonObject } from '../wire/types.js'

interface ToolInfo {
  kind: string
  gerund: string
  icon: string
  past: string
}

const TOOLS: Readonly<Record<string, ToolInfo>> = {
  read: { kind: 'Read', gerund: 'Reading', icon: 'document', past: 'Read' },
  write: { kind: 'Write', gerund: 'Writing', icon: 'document_plus', past: 'Wrote' },
  edit: { kind: 'Edit', gerund: 'Editing', icon: 'pencil_square', past: 'Edited' },
  multiedit: { kind: 'Edit', gerund: 'Editing', icon: 'pencil_square', past: 'Edited' },
  apply_patch: {
    kind: 'Patch',
    gerund: 'Applying changes',
    icon: 'pencil_square',
    past: 'Applied changes to',
  },
  bash: { kind: 'Bash', gerund: 'Running command', icon: 'command_line', past: 'Ran' },
  grep: { kind: 'Grep', gerund: 'Searching files', icon: 'document_magnifying_glass', past: 'Searched for' },
  glob: { kind: 'Glob', gerund: 'Searching files', icon: 'magnifying_glass', past: 'Searched for' },
  list: { kind: 'LS', gerund: 'Listing files', icon: 'rectangle_stack', past: 'Listed' },
  ls: { kind: 'LS', gerund: 'Listing files', icon: 'rectangle_stack', past: 'Listed' },
  webfetch: { kind: 'Fetch', gerund: 'Reading web page', icon: 'globe', past: 'Fetched' },
  websearch: { kind: 'Web search', gerund: 'Searching the web', icon: 'globe', past: 'Searched' },
  codesearch: {
    kind: 'Code search',
    gerund: 'Searching code',
    icon: 'magnifying_glass',
    past: 'Searched code for',
  },
  web_search_exa: { kind: 'Web search', gerund: 'Searching the web', icon: 'globe', past: 'Searched' },
  search_web: { kind: 'Web search', gerund: 'Searching the web', icon: 'globe', past: 'Searched' },
  fetch_url: { kind: 'Fetch', gerund: 'Reading web page', icon: 'globe', past: 'Fetched' },
  get_code_context_exa: {
    kind: 'Code lookup',
    gerund: 'Looking up code',
    icon: 'document_magnifying_glass',
    past: 'Looked up',
  },
  company_research_exa: {
    kind: 'Company research',
    gerund: 'Researching company',
    icon: 'globe',
    past: 'Researched',
  },
  todowrite: { kind: 'Plan', gerund: 'Planning', icon: 'queue_list', past: 'Updated plan' },
  todoread: { kind: 'Plan', gerund: 'Reading plan', icon: 'queue_list', past: 'Read plan' },
  task: { kind: 'Task', gerund: 'Researching', icon: 'robot', past: 'Ran subtask' },
  skill: { kind: 'Skill', gerund: 'Loading skill', icon: 'sparkles', past: 'Loaded skill' },
}

/** Tool names with a built-in label, in table order. */
export const KNOWN_TOOLS: readonly string[] = Object.keys(TOOLS)

/** The icon of tools without one of their own. */
export const DEFAULT_TOOL_ICON = 'sparkles'

/** MCP providers recognized by prefix, in match order. */
export const TOOL_PROVIDERS: ReadonlyArray<{ name: string; prefix: string; canonical: readonly string[] }> = [
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

const LANG_BY_EXT: Readonly<Record<string, string>> = {
  md: 'markdown',
  markdown: 'markdown',
  rb: 'ruby',
  rake: 'ruby',
  py: 'python',
  js: 'javascript',
  mjs: 'javascript',
  ts: 'typescript',
  tsx: 'typescript',
  jsx: 'jsx',
  json: 'json',
  yml: 'yaml',
  yaml: 'yaml',
  html: 'html',
  erb: 'erb',
  css: 'css',
  scss: 'scss',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  conf: 'shell',
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

const STATUS_RANK: Readonly<Record<string, number>> = { in_progress: 0, pending: 1, completed: 2 }

/** ActiveSupport `humanize`: underscores to spaces, a trailing `_id` dropped, first letter capitalized. */
function humanize(name: string): string {
  let text = name.replace(/_id$/, '').replace(/_/g, ' ').replace(/^\s+/, '').toLowerCase()
  text = text.replace(/^\w/, (c) => c.toUpperCase())
  return text
}

/** Ruby `to_i`: leading integer of a string, truncation of a number, 0 otherwise. */
function toInt(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value)
  if (typeof value === 'string') {
    const match = /^\s*[-+]?\d+/.exec(value)
    return match ? Number.parseInt(match[0], 10) : 0
  }
  return 0
}

const text = (value: unknown): string | undefined => (isBlank(value) ? undefined : String(value))

/**
 * A view-model over one stored tool part: labels, icons, the target it acted on, diffs, todos,
 * bash output, and which provider the tool came from. Pure; safe on any input.
 *
 * @example
 * ```ts
 * const view = new ToolDisplay({ type: 'tool', tool: 'read', status: 'running', input: { filePath: 'src/app.ts' } })
 * view.title      // "Read: src/app.ts"
 * view.gerund     // "Reading"
 * view.inFlight   // true
 * ```
 */
export class ToolDisplay {
  readonly part: JsonObject

  constructor(part: JsonObject | null | undefined) {
    this.part = isObject(part) ? part : {}
  }

  /** From a raw server part (`{tool, state: {status, input, …}}`). */
  static fromRaw(raw: JsonObject | null | undefined): ToolDisplay {
    const part = isObject(raw) ? raw : {}
    const state = isObject(part.state) ? part.state : {}
    return new ToolDisplay({
      type: 'tool',
      tool: part.tool,
      status: state.status,
      input: isObject(state.input) ? state.input : {},
      output: state.output,
      title: state.title,
      error: state.error,
      metadata: isObject(state.metadata) ? state.metadata : {},
    })
  }

  get toolName(): string {
    return this.part.tool === undefined || this.part.tool === null ? '' : String(this.part.tool)
  }

  /** The tool name with MCP provider prefixes/suffixes stripped (`exa_web_fetch_exa` → `web_fetch`). */
  get canonicalTool(): string {
    const name = this.toolName
    if (name === '' || TOOLS[name]) return name
    for (const provider of TOOL_PROVIDERS) {
      const stripped = ToolDisplay.strip(name, provider.prefix)
      if (stripped !== undefined) return stripped
    }
    return name
  }

  private static strip(name: string, prefix: string): string | undefined {
    if (!name.startsWith(prefix)) return undefined
    const rest = name.slice(prefix.length)
    if (TOOLS[rest]) return rest
    const suffix = `_${prefix.replace(/_$/, '')}`
    if (!rest.endsWith(suffix)) return rest
    const bare = rest.slice(0, -suffix.length)
    return bare === '' ? rest : bare
  }

  get known(): boolean {
    return TOOLS[this.canonicalTool] !== undefined
  }

  private get info(): ToolInfo | undefined {
    return TOOLS[this.canonicalTool]
  }

  get icon(): string {
    return this.info?.icon ?? DEFAULT_TOOL_ICON
  }

  get kind(): string {
    return this.info?.kind ?? humanize(this.canonicalTool)
  }

  get gerund(): string {
    return this.info?.gerund ?? `${this.kind}...`
  }

  get status(): string {
    return this.part.status === undefined || this.part.status === null ? '' : String(this.part.status)
  }
  get pending(): boolean {
    return this.status === 'pending'
  }
  get running(): boolean {
    return this.status === 'running'
  }
  get completed(): boolean {
    return this.status === 'completed'
  }
  get errored(): boolean {
    return this.status === 'error'
  }
  get terminal(): boolean {
    return this.completed || this.errored
  }
  get inFlight(): boolean {
    return this.pending || this.running
  }

  get input(): JsonObject {
    return isObject(this.part.input) ? this.part.input : {}
  }
  get metadata(): JsonObject {
    return isObject(this.part.metadata) ? this.part.metadata : {}
  }
  get output(): string {
    return this.part.output == null ? '' : String(this.part.output)
  }
  get errorText(): string {
    return this.part.error == null ? '' : String(this.part.error)
  }
  get opencodeTitle(): string {
    return this.part.title == null ? '' : String(this.part.title)
  }

  /** What the tool acted on (a path, a command, a pattern, a URL, a query), or undefined. */
  get target(): string | undefined {
    const input = this.input
    switch (this.canonicalTool) {
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

  /** "Read: src/app.ts" for known tools; the server's title (or the kind) otherwise. */
  get title(): string {
    if (this.known) return this.target ? `${this.kind}: ${this.target}` : this.kind
    return isBlank(this.opencodeTitle) ? this.kind : this.opencodeTitle
  }

  /** "Read src/app.ts" for known tools; the server's title (or the kind) otherwise. */
  get pastTenseTitle(): string {
    if (this.known) {
      const past = this.info?.past ?? this.kind
      return this.target ? `${past} ${this.target}` : past
    }
    return isBlank(this.opencodeTitle) ? this.kind : this.opencodeTitle
  }

  get diff(): string | undefined {
    return text(this.metadata.diff)
  }

  /** The plan of a todo tool, canonicalized and sorted in progress → pending → completed (stable). */
  get todos(): JsonObject[] {
    if (!['todowrite', 'todoread'].includes(this.canonicalTool) || !Array.isArray(this.input.todos)) return []
    const todos = (this.input.todos as unknown[]).filter(isObject).map((todo) => canonicalTodo(todo))
    const rank = (todo: JsonObject) => STATUS_RANK[String(todo.status)] ?? 99
    return todos
      .map((todo, index) => ({ todo, index }))
      .sort((a, b) => rank(a.todo) - rank(b.todo) || a.index - b.index)
      .map(({ todo }) => todo)
  }

  /** The written content, for `write`. */
  get fileContent(): string | undefined {
    return this.canonicalTool === 'write' ? text(this.input.content) : undefined
  }

  /** A highlight language from the target's extension. */
  get fileLang(): string | undefined {
    const name = (this.target ?? '').split('/').pop() ?? ''
    if (name === '') return undefined
    const dot = name.lastIndexOf('.')
    const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : ''
    return LANG_BY_EXT[ext] ?? (ext === '' ? undefined : ext)
  }

  get bashCommand(): string | undefined {
    return this.canonicalTool === 'bash' ? text(this.input.command) : undefined
  }

  /** Output of a bash tool: the first non-null of metadata.output, metadata.stdout, output — if non-blank. */
  get bashOutput(): string | undefined {
    if (this.canonicalTool !== 'bash') return undefined
    return text(this.metadata.output ?? this.metadata.stdout ?? this.part.output)
  }

  get bashDescription(): string | undefined {
    return this.canonicalTool === 'bash' ? text(this.metadata.description) : undefined
  }

  get readPreview(): string | undefined {
    return this.canonicalTool === 'read' ? text(this.metadata.preview) : undefined
  }

  /** Matches of grep, files of glob. */
  get matchCount(): number | undefined {
    if (this.canonicalTool === 'grep') return toInt(this.metadata.matches)
    if (this.canonicalTool === 'glob') return toInt(this.metadata.count)
    return undefined
  }

  /** `exa`, `brave`, …, `opencode-builtin` or `unknown`. */
  get provider(): string {
    for (const provider of TOOL_PROVIDERS) {
      if (this.toolName.startsWith(provider.prefix) || provider.canonical.includes(this.canonicalTool))
        return provider.name
    }
    return this.known ? 'opencode-builtin' : 'unknown'
  }
}
