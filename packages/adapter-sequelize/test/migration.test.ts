// The shipped migration (umzug `{ context }` and sequelize-cli `(queryInterface)` call styles)
// creates the documented schema, including the UNIQUE session id, and `down` removes it.
import { QueryTypes, type Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { opencodeMigration } from '../src/index.js'
import { DATABASES, type IsolatedDatabase, isolatedDatabase } from './support/isolatedDatabases.js'

describe.each(DATABASES)('adapter-sequelize migration on %s', (name) => {
  let db: IsolatedDatabase
  let sequelize: Sequelize

  beforeAll(async () => {
    db = await isolatedDatabase(name)
    sequelize = db.connect()
  })
  afterAll(() => db.drop())

  // showAllTables looks in `public` on PostgreSQL; probe the search path instead.
  const exists = (table: string) =>
    sequelize.query(`SELECT 1 FROM ${table} WHERE 1 = 0`).then(
      () => true,
      () => false,
    )

  it('up creates opencode_subjects/opencode_messages with the documented columns and defaults; down drops them', async () => {
    await opencodeMigration.up({ context: sequelize.getQueryInterface() })
    expect([await exists('opencode_subjects'), await exists('opencode_messages')]).toEqual([true, true])
    const columns = Object.keys(
      await sequelize
        .getQueryInterface()
        .describeTable(
          db.spec.schema ? { tableName: 'opencode_messages', schema: db.spec.schema } : 'opencode_messages',
        ),
    ).sort()
    expect(columns).toEqual(
      [
        'id',
        'subject_id',
        'status',
        'content',
        'reasoning',
        'parts_json',
        'tool_calls_json',
        'cost',
        'input_tokens',
        'output_tokens',
        'cache_read_tokens',
        'cache_write_tokens',
        'last_activity_at',
        'opencode_session_id',
        'opencode_message_id',
        'requests_json',
        'created_at',
        'updated_at',
      ].sort(),
    )
    const now = new Date()
    await sequelize.query(
      "INSERT INTO opencode_subjects (title, opencode_session_id, created_at, updated_at) VALUES ('t', 'ses_1', ?, ?)",
      { replacements: [now, now] },
    )
    await expect(
      sequelize.query(
        "INSERT INTO opencode_subjects (title, opencode_session_id, created_at, updated_at) VALUES ('u', 'ses_1', ?, ?)",
        { replacements: [now, now] },
      ),
    ).rejects.toThrow()
    const [subject] = await sequelize.query<{ id: number }>('SELECT id FROM opencode_subjects', {
      type: QueryTypes.SELECT,
    })
    await sequelize.query(
      'INSERT INTO opencode_messages (subject_id, created_at, updated_at) VALUES (?, ?, ?)',
      {
        replacements: [subject?.id, now, now],
      },
    )
    const [message] = await sequelize.query<{ status: string }>('SELECT status FROM opencode_messages', {
      type: QueryTypes.SELECT,
    })
    expect(message?.status).toBe('pending')

    await opencodeMigration.down(sequelize.getQueryInterface())
    expect([await exists('opencode_subjects'), await exists('opencode_messages')]).toEqual([false, false])
  })
})
