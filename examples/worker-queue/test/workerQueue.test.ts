// Scale-out: three worker processes consume one BullMQ queue on Redis, against one PostgreSQL
// database, one S3-compatible bucket and a real `opencode serve`. Many turns across several
// subjects (most sharing a subject) must give one upstream session per subject, every message
// finalized exactly once (a trigger counts status transitions), and no orphan sessions.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { S3Client } from '@aws-sdk/client-s3'
import { opencodeMigrations } from '@opencode-kit/adapter-knex'
import { Client } from '@opencode-kit/core'
import { s3Storage } from '@opencode-kit/storage-s3'
import { Queue } from 'bullmq'
import knexFactory, { type Knex } from 'knex'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RealOpencode, startRealOpencode } from '../../../e2e/support/opencodeServer.js'
import { postgresUrl, redisUrl, s3 } from '../../../test-utils/services.js'
import { enqueueTurn, redisConnection, TURN_QUEUE, type TurnJob } from '../src/turnQueue.js'

const WORKERS = 3
const SUBJECTS = 6
const TURNS_PER_SUBJECT = 3
const root = fileURLToPath(new URL('../../..', import.meta.url))
const workerScript = fileURLToPath(new URL('../src/worker.ts', import.meta.url))

let server: RealOpencode
let knex: Knex
let admin: Knex
let queue: Queue<TurnJob>
const workers: ChildProcess[] = []
const schema = `wq_${randomBytes(5).toString('hex')}`
const prefix = `wq-${randomBytes(4).toString('hex')}`

const s3Client = () => {
  const config = s3()
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  })
}

function startWorker(extra: Record<string, string> = {}): Promise<ChildProcess> {
  const storage = s3()
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: postgresUrl(),
      DATABASE_SCHEMA: schema,
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      OPENCODE_URL: server.url,
      S3_ENDPOINT: storage.endpoint,
      S3_BUCKET: storage.bucket,
      S3_REGION: storage.region,
      S3_ACCESS_KEY_ID: storage.accessKeyId,
      S3_SECRET_ACCESS_KEY: storage.secretAccessKey,
      S3_PREFIX: `${prefix}/`,
      WORKER_CONCURRENCY: '4',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const keep = (chunk: unknown) => {
      output = (output + String(chunk)).slice(-4000) // the tail is enough to explain a failure
    }
    child.stdout?.on('data', (chunk) => {
      keep(chunk)
      if (output.includes('ready')) resolve(child)
    })
    child.stderr?.on('data', keep)
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${output.slice(-2000)}`)))
  })
}

beforeAll(async () => {
  server = await startRealOpencode()
  admin = knexFactory({ client: 'pg', connection: postgresUrl() })
  await admin.raw(`CREATE SCHEMA "${schema}"`)
  knex = knexFactory({ client: 'pg', connection: postgresUrl(), searchPath: [schema] })
  await knex.migrate.latest({ migrationSource: opencodeMigrations(), tableName: 'opencode_kit_migrations' })
  // Every status change of a message, counted by the database itself.
  await knex.raw(`
    CREATE TABLE transitions (message_id bigint, from_status text, to_status text);
    CREATE FUNCTION record_transition() RETURNS trigger AS $$
    BEGIN
      INSERT INTO transitions VALUES (NEW.id, OLD.status, NEW.status);
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER message_transitions AFTER UPDATE OF status ON opencode_messages
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION record_transition();
  `)
  queue = new Queue<TurnJob>(TURN_QUEUE, { connection: redisConnection(redisUrl()), prefix })
  workers.push(...(await Promise.all(Array.from({ length: WORKERS }, () => startWorker()))))
}, 120_000)

afterAll(async () => {
  await Promise.all(
    workers.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve(null)
          child.once('exit', resolve)
          child.kill('SIGTERM')
        }),
    ),
  )
  await queue?.obliterate({ force: true }).catch(() => {})
  await queue?.close()
  await knex?.destroy()
  await admin?.raw(`DROP SCHEMA "${schema}" CASCADE`)
  await admin?.destroy()
  await server?.close()
})

describe('worker-queue example', () => {
  it(`${SUBJECTS * TURNS_PER_SUBJECT} turns on ${WORKERS} worker processes: one session per subject, each reply finalized once, no orphans`, async () => {
    const subjectIds: (string | number)[] = []
    for (let s = 0; s < SUBJECTS; s++) {
      const [row] = await knex('opencode_subjects')
        .insert({ title: `subject ${s}` })
        .returning('id')
      subjectIds.push((row as { id: number }).id)
    }
    const enqueued = await Promise.all(
      subjectIds.flatMap((subjectId, s) =>
        Array.from({ length: TURNS_PER_SUBJECT }, (_, t) =>
          enqueueTurn(knex, queue, {
            subjectId,
            prompt: `Subject ${s} turn ${t} [write s${s}-t${t}.md]`,
          }),
        ),
      ),
    )
    // Enqueueing the same message again is a no-op (job id = message id).
    await queue.add(
      'turn',
      { subjectId: subjectIds[0] as number, messageId: enqueued[0] as number, prompt: 'dup' },
      { jobId: `message-${enqueued[0]}` },
    )

    const deadline = Date.now() + 100_000
    for (;;) {
      const pending = await knex('opencode_messages').where({ status: 'pending' }).count({ n: '*' })
      if (Number(pending[0]?.n) === 0) break
      if (Date.now() > deadline) throw new Error(`${pending[0]?.n} messages still pending`)
      await new Promise((r) => setTimeout(r, 250))
    }

    const rows = await knex('opencode_messages').select('id', 'status', 'content')
    expect(rows).toHaveLength(SUBJECTS * TURNS_PER_SUBJECT)
    expect(rows.every((row) => row.status === 'completed')).toBe(true)

    const transitions = await knex('transitions').select('message_id', 'from_status', 'to_status')
    expect(transitions).toHaveLength(rows.length)
    expect(new Set(transitions.map((t) => String(t.message_id))).size).toBe(rows.length)
    expect(transitions.every((t) => t.from_status === 'pending' && t.to_status === 'completed')).toBe(true)

    const subjects = await knex('opencode_subjects').select('id', 'opencode_session_id')
    const stored = subjects.map((s) => s.opencode_session_id as string)
    expect(stored.every(Boolean)).toBe(true)
    expect(new Set(stored).size).toBe(SUBJECTS)
    const upstream = await new Client({ baseUrl: server.url }).listSessions()
    expect(upstream.map((session) => session.id).sort()).toEqual([...stored].sort()) // no orphans

    // Every turn asked for a file. The files written are in the bucket, attached to messages of
    // their own subject (turns of one conversation ran at once here, sharing one upstream session,
    // so which reply saw which tool call is a race; docs/job-queue.md explains why products run
    // one turn per conversation at a time).
    const bucket = s3Storage({ client: s3Client(), bucket: s3().bucket, prefix: `${prefix}/` })
    for (let s = 0; s < SUBJECTS; s++) {
      const ofSubject = enqueued.slice(s * TURNS_PER_SUBJECT, (s + 1) * TURNS_PER_SUBJECT)
      const files = (await Promise.all(ofSubject.map((id) => bucket.list(id)))).flat().map((a) => a.filename)
      expect(files.length).toBeGreaterThan(0)
      for (const file of files) expect(file).toMatch(new RegExp(`^s${s}-t\\d\\.md$`))
    }

    const jobs = await queue.getJobs(['completed'])
    const pids = new Set(jobs.map((job) => (job.returnvalue as { worker?: number } | undefined)?.worker))
    expect(pids.size).toBeGreaterThan(1) // the work really spread over processes
  }, 150_000)

  it('a worker killed mid-turn (SIGKILL): the row is recovered with the answer, the prompt sent once', async () => {
    const [subject] = await knex('opencode_subjects').insert({ title: 'killed' }).returning('id')
    const subjectId = (subject as { id: number }).id
    const messageId = await enqueueTurn(knex, queue, { subjectId, prompt: 'Stream slowly [slow]' })
    const deadline = Date.now() + 60_000
    for (;;) {
      const row = await knex('opencode_messages').where({ id: messageId }).first()
      if (row?.content) break // streaming
      if (Date.now() > deadline) throw new Error('the turn never started streaming')
      await new Promise((r) => setTimeout(r, 50))
    }
    // Kill every worker (whichever runs the turn), then let time pass for the dead one's stamp.
    for (const child of workers.splice(0)) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
    expect((await knex('opencode_messages').where({ id: messageId }).first()).status).toBe('pending')
    await knex('opencode_messages')
      .where({ id: messageId })
      .update({ last_activity_at: new Date(Date.now() - 10 * 60_000) })
    // A new worker's recovery sweep (or the job's retry) resumes the turn.
    workers.push(await startWorker({ RECOVERY_INTERVAL_MS: '500' }))
    for (;;) {
      const row = await knex('opencode_messages').where({ id: messageId }).first()
      if (row.status !== 'pending') {
        expect(row.status).toBe('completed')
        expect(row.content).toContain('All done')
        break
      }
      if (Date.now() > deadline + 60_000) throw new Error('the killed turn was never recovered')
      await new Promise((r) => setTimeout(r, 250))
    }
    const row = await knex('opencode_messages').where({ id: messageId }).first()
    const sessionId = (await knex('opencode_subjects').where({ id: subjectId }).first()).opencode_session_id
    expect(row.opencode_session_id).toBe(sessionId)
    const upstream = await new Client({ baseUrl: server.url }).getMessages(sessionId)
    expect(upstream.filter((m) => m.info.role === 'user')).toHaveLength(1) // the prompt was sent once
    expect(upstream.filter((m) => m.info.role === 'assistant')).toHaveLength(1)
  }, 150_000)
})
