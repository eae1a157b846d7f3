import { describe, expect, it } from 'vitest'
import { Permissions } from '../../src/index.js'

describe('Permissions (example_test 6, ported: last match wins)', () => {
  it('deny-all denies read, edit, external_directory, grep and lsp on any pattern', () => {
    for (const permission of ['read', 'edit', 'external_directory', 'grep', 'lsp', 'bash']) {
      expect(Permissions.evaluate(Permissions.DENY_ALL, permission, '/etc/passwd')).toBe('deny')
    }
  })

  it('allowOnly opens exactly the listed pairs; later rules win', () => {
    const rules = Permissions.allowOnly([
      { permission: 'read', pattern: '*' },
      { permission: 'bash', pattern: 'ls' },
    ])
    expect(Permissions.evaluate(rules, 'read', 'notes.md')).toBe('allow')
    expect(Permissions.evaluate(rules, 'bash', 'ls')).toBe('allow')
    expect(Permissions.evaluate(rules, 'bash', 'rm -rf /')).toBe('deny')
    expect(Permissions.evaluate(rules, 'edit', 'notes.md')).toBe('deny')
    expect(
      Permissions.evaluate([...rules, { permission: '*', pattern: '*', action: 'ask' }], 'read', 'x'),
    ).toBe('ask')
  })

  it('no matching rule leaves the server default (undefined)', () => {
    expect(
      Permissions.evaluate([{ permission: 'bash', pattern: 'ls', action: 'allow' }], 'read', 'x'),
    ).toBeUndefined()
  })
})
