import type { PermissionRule } from '../wire/types.js'

/**
 * Deny every tool on every pattern: the fail-closed starting point for agent sessions.
 *
 * @example
 * ```ts
 * const kit = createOpencodeKit({ client, records, messages, permissions: denyAll() })
 * ```
 */
export function denyAll(): PermissionRule[] {
  return [{ permission: '*', pattern: '*', action: 'deny' }]
}

/**
 * Deny everything, then allow exactly the given permission/pattern pairs. Rules apply only when a
 * session is created — after changing them, recreate stored sessions.
 *
 * @example
 * ```ts
 * const permissions = allowOnly([{ permission: 'read', pattern: '*' }])
 * ```
 */
export function allowOnly(
  allowed: ReadonlyArray<Pick<PermissionRule, 'permission' | 'pattern'>>,
): PermissionRule[] {
  return [...denyAll(), ...allowed.map((rule) => ({ ...rule, action: 'allow' as const }))]
}

/**
 * What `rules` decide for a tool call, the way OpenCode resolves them: the **last** rule whose
 * permission and pattern match (each exactly or `*`) wins; undefined when no rule matches.
 *
 * @example
 * ```ts
 * evaluatePermission(allowOnly([{ permission: 'read', pattern: '*' }]), 'bash', 'rm -rf /') // 'deny'
 * ```
 */
export function evaluatePermission(
  rules: readonly PermissionRule[],
  permission: string,
  pattern: string,
): PermissionRule['action'] | undefined {
  let decision: PermissionRule['action'] | undefined
  for (const rule of rules) {
    const permissionMatches = rule.permission === '*' || rule.permission === permission
    const patternMatches = rule.pattern === '*' || rule.pattern === pattern
    if (permissionMatches && patternMatches) decision = rule.action
  }
  return decision
}
