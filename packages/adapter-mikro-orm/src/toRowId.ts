import type { RowId } from '@opencode-kit/core'

/**
 * A primary key as the ports hand it out: MikroORM 6 hydrates `bigint` properties as native
 * `bigint`s by default, which `JSON.stringify` (job payloads, API responses) rejects. Safe integers
 * become numbers, larger ones decimal strings.
 */
export function toRowId(value: unknown): RowId {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString()
  }
  return value as RowId
}
