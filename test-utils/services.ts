/**
 * Where the test suites find the real services. `npm test` (scripts/test.mjs) finds or starts them
 * and sets these variables; running vitest by hand falls back to the development machine's defaults.
 * A missing service fails the test loudly: nothing here ever skips.
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const stateFile = fileURLToPath(new URL('../.services/env.json', import.meta.url))

/** Variables written by `node scripts/services.mjs start`, used when the environment lacks them. */
function startedServices(): Record<string, string> {
  if (!existsSync(stateFile)) return {}
  return JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, string>
}

function setting(name: string, fallback?: string): string {
  const value = process.env[name] ?? startedServices()[name] ?? fallback
  if (!value) {
    throw new Error(
      `${name} is not set: run the suite with \`npm test\`, or start the services with \`npm run services start\``,
    )
  }
  return value
}

/** PostgreSQL connection URL. */
export const postgresUrl = (): string => setting('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test')

/** MariaDB/MySQL connection URL. */
export const mysqlUrl = (): string => setting('MYSQL_URL', 'mysql://root@127.0.0.1:3306/test')

/** The S3-compatible server the test command started. */
export const s3 = () => ({
  endpoint: setting('S3_ENDPOINT'),
  bucket: setting('S3_BUCKET'),
  region: setting('S3_REGION', 'us-east-1'),
  accessKeyId: setting('S3_ACCESS_KEY_ID', 'S3RVER'),
  secretAccessKey: setting('S3_SECRET_ACCESS_KEY', 'S3RVER'),
})

/** Redis connection URL (queue example). */
export const redisUrl = (): string => setting('REDIS_URL', 'redis://127.0.0.1:6379')

/** The redis-server binary, for suites that start (and kill) a Redis of their own. */
export const redisServerBinary = (): string => {
  const candidates = [process.env.REDIS_SERVER, startedServices().REDIS_SERVER, '/usr/bin/redis-server']
  const found = candidates.find((path): path is string => Boolean(path) && existsSync(path as string))
  if (!found) {
    throw new Error(
      'redis-server not found: run the suite with `npm test` (it installs it) or set REDIS_SERVER',
    )
  }
  return found
}

/**
 * The databases an adapter suite runs on: all of `all`, or those named in
 * `OPENCODE_KIT_TEST_DATABASES` (comma-separated). The Node 24 pass of `npm test` leaves SQLite out:
 * better-sqlite3 12 (the last line that installs on Node 20) aborts the process on Node 24 when the
 * garbage collector frees a statement (`Assertion failed: (env) != nullptr` in
 * `RemoveEnvironmentCleanupHook`, WiseLibs/better-sqlite3#1515).
 */
export function testDatabases<const T extends readonly string[]>(all: T): readonly T[number][] {
  const wanted = process.env.OPENCODE_KIT_TEST_DATABASES?.split(',').map((name) => name.trim())
  if (!wanted) return all
  const chosen = all.filter((name) => wanted.includes(name))
  if (chosen.length === 0) throw new Error(`OPENCODE_KIT_TEST_DATABASES names none of ${all.join(', ')}`)
  return chosen
}
