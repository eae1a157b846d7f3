// describeTool (issue 16 item 10): a tool call as a JSON view — the clauses of the Ruby tool
// display (host-layer §2.12) kept on the data function that replaced the class.
import { describe, expect, it } from 'vitest'
import { describeTool } from '../../src/host/describeTool.js'

const tool = (fields: Record<string, unknown>) => describeTool({ type: 'tool', ...fields })

describe('describeTool (host-layer §2.12, tool_display_test)', () => {
  it('tool_display_test 1: a completed read — label, title, summary, icon, language', () => {
    const view = tool({ tool: 'read', status: 'completed', input: { filePath: 'src/app.ts' } })
    expect(view).toMatchObject({
      tool: 'read',
      name: 'read',
      provider: 'opencode-builtin',
      status: 'completed',
      title: 'Read: src/app.ts',
      summary: 'Read src/app.ts',
      icon: 'document',
      target: 'src/app.ts',
      language: 'typescript',
    })
  })

  it('tool_display_test 2: a running read says what it is doing', () => {
    const view = tool({ tool: 'read', status: 'running' })
    expect([view.status, view.activity]).toEqual(['running', 'Reading'])
  })

  it('tool_display_test 3: an edit with status error carries the error', () => {
    const view = tool({ tool: 'edit', status: 'error', error: 'boom' })
    expect([view.status, view.error]).toEqual(['error', 'boom'])
  })

  it('tool_display_test 4: an unknown tool gets a label from its name, the default icon, provider unknown', () => {
    const view = tool({ tool: 'wat', title: '' })
    expect(view).toMatchObject({ name: 'wat', icon: 'sparkles', provider: 'unknown' })
    expect(view.activity).toBe(`${view.label}...`)
  })

  it('tool_display_test 5: null (or any non-object) is described safely', () => {
    for (const part of [null, undefined, 'text', 42]) {
      const view = describeTool(part)
      expect(view).toMatchObject({ tool: '', name: '', provider: 'unknown', status: 'pending' })
      expect(JSON.parse(JSON.stringify(view))).toEqual(view) // JSON-safe as is
    }
  })

  it.each([
    ['exa_web_search_exa', 'web_search_exa', 'exa'],
    ['exa_web_fetch_exa', 'web_fetch', 'exa'],
    ['exa_nonexistent', 'nonexistent', 'exa'],
    ['brave_read', 'read', 'brave'],
    ['local-web-search_search_web', 'search_web', 'local-web-search'],
    ['read', 'read', 'opencode-builtin'],
  ])('name(%s) = %s, provider %s', (name, canonical, provider) => {
    const view = tool({ tool: name })
    expect(view.name).toBe(canonical)
    expect(view.provider).toBe(provider)
  })

  it('unknown tools use the server title; known tools build theirs from the target', () => {
    expect(tool({ tool: 'wat', title: 'Did a thing' }).title).toBe('Did a thing')
    expect(tool({ tool: 'bash', input: { command: 'ls -la' } }).title).toBe('Bash: ls -la')
    expect(tool({ tool: 'bash', input: { command: '   ' } }).target).toBeUndefined()
    expect(tool({ tool: 'skill', input: { name: 'pdf' } }).target).toBe('pdf')
  })

  it('bash output takes the first non-null of metadata.output, metadata.stdout, output (an empty output wins and gives none)', () => {
    expect(tool({ tool: 'bash', metadata: { stdout: 'out' }, output: 'x' }).output).toBe('out')
    expect(tool({ tool: 'bash', metadata: { output: '', stdout: 'out' } }).output).toBeUndefined()
    expect(tool({ tool: 'bash', output: 'plain' }).output).toBe('plain')
  })

  it('matchCount: grep matches and glob count as integers; absent or not a number → none', () => {
    expect(tool({ tool: 'grep', metadata: { matches: '12' } }).matchCount).toBe(12)
    expect(tool({ tool: 'glob', metadata: { count: 3.7 } }).matchCount).toBe(3)
    expect(tool({ tool: 'grep', metadata: { matches: 'abc' } }).matchCount).toBeUndefined()
    expect(tool({ tool: 'read' }).matchCount).toBeUndefined()
  })

  it('todos are canonicalized and stably sorted in_progress, pending, completed, other', () => {
    const view = tool({
      tool: 'todowrite',
      input: {
        todos: [
          { content: 'a', status: 'completed' },
          { content: 'b', status: 'pending' },
          'not a todo',
          { content: 'c', status: 'in-progress' },
          { content: 'd', status: 'pending' },
          { content: 'e', status: 'blocked' },
        ],
      },
    })
    expect(view.todos?.map((t) => [t.content, t.status])).toEqual([
      ['c', 'in_progress'],
      ['b', 'pending'],
      ['d', 'pending'],
      ['a', 'completed'],
      ['e', 'blocked'],
    ])
  })

  it('language: known extensions, unknown ones as is, dotfiles none; no Ruby-only entries', () => {
    expect(tool({ tool: 'write', input: { filePath: 'a/b/notes.MD' } }).language).toBe('markdown')
    expect(tool({ tool: 'write', input: { filePath: 'data.parquet' } }).language).toBe('parquet')
    expect(tool({ tool: 'write', input: { filePath: '.bashrc' } }).language).toBeUndefined()
    expect(tool({ tool: 'webfetch', input: { url: 'https://x.dev/api.json' } }).language).toBe('json')
    expect(tool({ tool: 'write', input: { filePath: 'Rakefile.rake' } }).language).toBe('rake')
    expect(tool({ tool: 'write', input: { filePath: 'show.html.erb' } }).language).toBe('erb')
  })

  it('a raw server part (state: {…}) is described like the stored shape', () => {
    const view = describeTool({
      tool: 'write',
      state: { status: 'completed', input: { filePath: 'n.md', content: '# N' } },
    })
    expect(view.content).toBe('# N')
    expect(view.summary).toBe('Wrote n.md')
  })

  it('labels and icons are overridable per tool, the default icon too', () => {
    const view = describeTool(
      { type: 'tool', tool: 'read', input: { filePath: 'x.md' } },
      { labels: { read: { label: 'Open' } }, icons: { read: 'eye' } },
    )
    expect([view.label, view.title, view.icon, view.activity]).toEqual([
      'Open',
      'Open: x.md',
      'eye',
      'Reading',
    ])
    expect(describeTool({ type: 'tool', tool: 'wat' }, { defaultIcon: 'dot' }).icon).toBe('dot')
  })
})
