import type { Sequelize } from 'sequelize'

/** The slice of a node-sqlite3 `Database` this file uses. */
interface SqliteConnection {
  configure(option: 'busyTimeout', ms: number): void
}

/** The slice of Sequelize's connection manager this file wraps. */
interface ConnectionManager {
  getConnection(options?: object): Promise<unknown>
}

const configured = new WeakMap<Sequelize, number>()

/**
 * Give every connection of `sequelize` a busy timeout of `ms` (idempotent; the largest wins).
 * SQLite has no row locks, so `withLock` is `BEGIN IMMEDIATE`; across processes a second writer
 * then waits in SQLite's busy handler, whose timeout node-sqlite3 sets to only 1 s on every
 * connection — and Sequelize opens one connection per transaction, with no connect hook on this
 * dialect. So the connection manager is wrapped once.
 */
export function installSqliteBusyTimeout(sequelize: Sequelize, ms: number): void {
  const current = configured.get(sequelize)
  if (current !== undefined) {
    if (ms > current) configured.set(sequelize, ms)
    return
  }
  configured.set(sequelize, ms)
  const manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager
  const original = manager.getConnection.bind(manager)
  const seen = new WeakSet<object>()
  manager.getConnection = async (options?: object) => {
    const connection = (await original(options)) as SqliteConnection & object
    if (!seen.has(connection)) {
      seen.add(connection)
      connection.configure('busyTimeout', configured.get(sequelize) ?? ms)
    }
    return connection
  }
}
