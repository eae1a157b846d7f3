import { describe, expect, it } from 'vitest'
import { evaluatePermission } from '../../src/host/Permissions.js'
import { allowOnly, denyAll } from '../../src/index.js'

describe('permissions (example_test 6, ported: last match wins)', () => {
  it('deny-all denies read, edit, external_directory, grep and lsp on any pattern', () => {
    for (const permission of ['read', 'edit', 'external_directory', 'grep', 'lsp', 'bash']) {
      expect(evaluatePermission(denyAll(), permission, '/etc/passwd')).toBe('deny')
    }
  })

  it('allowOnly opens exactly the listed pairs; later rules win', () => {
    const rules = allowOnly([
      { permission: 'read', pattern: '*' },
      { permission: 'bash', pattern: 'ls' },
    ])
    expect(evaluatePermission(rules, 'read', 'notes.md')).toBe('allow')
    expect(evaluatePermission(rules, 'bash', 'ls')).toBe('allow')
    expect(evaluatePermission(rules, 'bash', 'rm -rf /')).toBe('deny')
    expect(evaluatePermission(rules, 'edit', 'notes.md')).toBe('deny')
    expect(
      evaluatePermission([...rules, { permission: '*', pattern: '*', action: 'ask' }], 'read', 'x'),
    ).toBe('ask')
  })

  it('no matching rule leaves the server default (undefined)', () => {
    expect(
      evaluatePermission([{ permission: 'bash', pattern: 'ls', action: 'allow' }], 'read', 'x'),
    ).toBeUndefined()
  })
})
