/** Lock callers waiting per connection owner (a knex, a Sequelize, a driver): one after another. */
const queues = new WeakMap<object, Promise<unknown>>()

/**
 * Run `fn` after every earlier call for the same `owner` has settled — SQLite's in-process write
 * serialisation. SQLite has one writer per database; a second in-process lock transaction on
 * another pooled connection would wait in SQLite's busy handler (synchronously in better-sqlite3,
 * on libuv's small thread pool in node-sqlite3) while the holder needs that same event loop or
 * thread pool to commit. Queue those callers instead; other processes still wait in the busy
 * handler. Key by the object that owns the connections, so two adapters on one pool share a queue.
 *
 * @example
 * ```ts
 * const withLock = (id, fn) => sqlite ? serializeSqliteWrites(knex, () => lockedTransaction(id, fn)) : lockedTransaction(id, fn)
 * ```
 */
export function serializeSqliteWrites<T>(owner: object, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(owner) ?? Promise.resolve()
  const run = previous.then(fn, fn)
  queues.set(
    owner,
    run.then(
      () => undefined,
      () => undefined,
    ),
  )
  return run
}
