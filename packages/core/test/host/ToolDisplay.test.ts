import { describe, expect, it } from 'vitest'
import { ToolDisplay } from '../../src/host/ToolDisplay.js'

const tool = (fields: Record<string, unknown>) => new ToolDisplay({ type: 'tool', ...fields })

describe('ToolDisplay (host-layer §2.12)', () => {
  it('tool_display_test 1: a completed read is known, completed and terminal', () => {
    const view = tool({ tool: 'read', status: 'completed', input: { filePath: 'src/app.ts' } })
    expect(view.canonicalTool).toBe('read')
    expect([view.known, view.completed, view.terminal, view.errored, view.inFlight]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ])
    expect(view.title).toBe('Read: src/app.ts')
    expect(view.pastTenseTitle).toBe('Read src/app.ts')
    expect(view.icon).toBe('document')
    expect(view.fileLang).toBe('typescript')
  })

  it('tool_display_test 2: a running read is in flight, not terminal', () => {
    const view = tool({ tool: 'read', status: 'running' })
    expect([view.inFlight, view.terminal, view.completed]).toEqual([true, false, false])
    expect(view.gerund).toBe('Reading')
  })

  it('tool_display_test 3: an edit with status error is errored and terminal', () => {
    const view = tool({ tool: 'edit', status: 'error', error: 'boom' })
    expect([view.errored, view.terminal, view.completed]).toEqual([true, true, false])
    expect(view.errorText).toBe('boom')
  })

  it('tool_display_test 4: an unknown tool is not known and still has a canonical name', () => {
    const view = tool({ tool: 'wat', title: '' })
    expect(view.known).toBe(false)
    expect(view.canonicalTool).toBe('wat')
    expect(view.kind).toBe('Wat')
    expect(view.gerund).toBe('Wat...')
    expect(view.icon).toBe('sparkles')
    expect(view.provider).toBe('unknown')
  })

  it('tool_display_test 5: new ToolDisplay(null) initializes safely and is not known', () => {
    const view = new ToolDisplay(null)
    expect(view.known).toBe(false)
    expect(view.canonicalTool).toBe('')
    expect(view.kind).toBe('')
    expect(view.provider).toBe('unknown')
  })

  it.each([
    ['exa_web_search_exa', 'web_search_exa', 'exa'],
    ['exa_web_fetch_exa', 'web_fetch', 'exa'],
    ['exa_nonexistent', 'nonexistent', 'exa'],
    ['brave_read', 'read', 'brave'],
    ['local-web-search_search_web', 'search_web', 'local-web-search'],
    ['read', 'read', 'opencode-builtin'],
  ])('canonicalTool(%s) = %s, provider %s', (name, canonical, provider) => {
    const view = tool({ tool: name })
    expect(view.canonicalTool).toBe(canonical)
    expect(view.provider).toBe(provider)
  })

  it('humanize: web_fetch → "Web fetch", author_id → "Author"', () => {
    expect(tool({ tool: 'exa_web_fetch_exa' }).kind).toBe('Web fetch')
    expect(tool({ tool: 'author_id' }).kind).toBe('Author')
  })

  it('unknown tools use the server title; known tools build theirs from the target', () => {
    expect(tool({ tool: 'wat', title: 'Did a thing' }).title).toBe('Did a thing')
    expect(tool({ tool: 'bash', input: { command: 'ls -la' } }).title).toBe('Bash: ls -la')
    expect(tool({ tool: 'bash', input: { command: '   ' } }).target).toBeUndefined()
    expect(tool({ tool: 'skill', input: { name: 'pdf' } }).target).toBe('pdf')
  })

  it('bashOutput takes the first non-null of metadata.output, metadata.stdout, output (an empty output wins and gives undefined)', () => {
    expect(tool({ tool: 'bash', metadata: { stdout: 'out' }, output: 'x' }).bashOutput).toBe('out')
    expect(tool({ tool: 'bash', metadata: { output: '', stdout: 'out' } }).bashOutput).toBeUndefined()
    expect(tool({ tool: 'bash', output: 'plain' }).bashOutput).toBe('plain')
    expect(tool({ tool: 'read', output: 'plain' }).bashOutput).toBeUndefined()
  })

  it('matchCount follows Ruby to_i', () => {
    expect(tool({ tool: 'grep', metadata: { matches: '12' } }).matchCount).toBe(12)
    expect(tool({ tool: 'glob', metadata: { count: 3.7 } }).matchCount).toBe(3)
    expect(tool({ tool: 'grep', metadata: { matches: 'abc' } }).matchCount).toBe(0)
    expect(tool({ tool: 'grep' }).matchCount).toBe(0)
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
    expect(view.todos.map((t) => [t.content, t.status])).toEqual([
      ['c', 'in_progress'],
      ['b', 'pending'],
      ['d', 'pending'],
      ['a', 'completed'],
      ['e', 'blocked'],
    ])
  })

  it('fileLang: known extensions, unknown ones as-is, dotfiles none', () => {
    expect(tool({ tool: 'write', input: { filePath: 'a/b/notes.MD' } }).fileLang).toBe('markdown')
    expect(tool({ tool: 'write', input: { filePath: 'data.parquet' } }).fileLang).toBe('parquet')
    expect(tool({ tool: 'write', input: { filePath: '.bashrc' } }).fileLang).toBeUndefined()
    expect(tool({ tool: 'webfetch', input: { url: 'https://x.dev/api.json' } }).fileLang).toBe('json')
  })

  it('fromRaw builds the stored shape from a raw server part', () => {
    const view = ToolDisplay.fromRaw({
      tool: 'write',
      state: { status: 'completed', input: { filePath: 'n.md', content: '# N' } },
    })
    expect(view.fileContent).toBe('# N')
    expect(view.pastTenseTitle).toBe('Wrote n.md')
  })
})
