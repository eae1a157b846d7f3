import type { PermissionRule } from '../wire/types.js'

/** Deny every tool on every pattern: the fail-closed starting point for agent sessions. */
const DENY_ALL: readonly PermissionRule[] = Object.freeze([{ permission: '*', pattern: '*', action: 'deny' }])

/**
 * Session permission rules (`Session`'s `permissionsFor`), and how OpenCode resolves them: the
 * **last** rule whose permission and pattern match (each exactly or `*`) decides. Rules apply only
 * when a session is created — after changing them, recreate stored sessions.
 *
 * @example
 * ```ts
 * const rules = Permissions.allowOnly([{ permission: 'read', pattern: '*' }])
 * new Session({ subject, records, client, permissionsFor: () => rules })
 * Permissions.evaluate(rules, 'bash', 'rm -rf /') // 'deny'
 * ```
 */
export const Permissions = {
  /** `[{ permission: '*', pattern: '*', action: 'deny' }]`. */
  DENY_ALL,

  /** Deny everything, then allow exactly the given permission/pattern pairs. */
  allowOnly(allowed: ReadonlyArray<Pick<PermissionRule, 'permission' | 'pattern'>>): PermissionRule[] {
    return [...DENY_ALL, ...allowed.map((rule) => ({ ...rule, action: 'allow' as const }))]
  },

  /** What `rules` decide for a tool call (last match wins); undefined when no rule matches. */
  evaluate(
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
  },
} as const
