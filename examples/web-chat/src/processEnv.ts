// Settings of the web and worker processes, from the environment.
import { Redis } from 'ioredis'
import { openChatDatabase } from './chatSetup.js'

export const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback
  if (!value) throw new Error(`${name} is required`)
  return value
}

/** The connections both processes open: PostgreSQL and Redis. */
export function connect(role: 'web' | 'worker') {
  const redisUrl = env('REDIS_URL', 'redis://127.0.0.1:6379')
  const keyPrefix = env('KEY_PREFIX', 'web-chat')
  return {
    knex: openChatDatabase(env('DATABASE_URL'), process.env.DATABASE_SCHEMA),
    // Named, so `CLIENT LIST` tells whose connection is whose (the relay's blocking reader too).
    redis: new Redis(redisUrl, { connectionName: `${keyPrefix}:${role}:${process.pid}` }),
    redisUrl,
    keyPrefix,
    artifactsDir: env('ARTIFACTS_DIR', '.web-chat/artifacts'),
  }
}

/** Close on SIGTERM/SIGINT: `close` finishes what is in flight. */
export function closeOnSignal(close: () => Promise<void>): void {
  let closing = false
  const stop = async () => {
    if (closing) return
    closing = true
    await close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
