import { isObject } from './types.js'

/** A todo item of OpenCode's `todowrite` tool (`{id, content, status, priority}`). */
export type TodoItem = Record<string, unknown> & { status?: string }

/**
 * A todo in its canonical form: a deep copy with the status normalized (`in-progress` →
 * `in_progress`, any other `-` → `_`). Non-objects are returned unchanged.
 *
 * @example
 * ```ts
 * canonicalTodo({ content: 'Draft', status: 'in-progress' }) // { content: 'Draft', status: 'in_progress' }
 * ```
 */
export function canonicalTodo<T>(todo: T): T {
  if (!isObject(todo)) return todo
  const copy = structuredClone(todo) as Record<string, unknown>
  if (typeof copy.status === 'string') copy.status = copy.status.replaceAll('-', '_')
  return copy as T
}
