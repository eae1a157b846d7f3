import { DEFAULT_MESSAGES_TABLE, DEFAULT_SUBJECTS_TABLE } from '@opencode-kit/core/adapter'
import type { Knex } from 'knex'

/** Table names for {@link opencodeMigrations}. */
export interface OpencodeMigrationsOptions {
  subjectsTable?: string
  messagesTable?: string
}

/** One migration of {@link opencodeMigrations}. */
export interface OpencodeMigration {
  name: string
  up(knex: Knex): Promise<void>
  down(knex: Knex): Promise<void>
}

/**
 * The shipped schema as a knex `MigrationSource`, to pass to `knex.migrate.latest({ migrationSource })`
 * (or to wrap next to your own migrations). Creates the subjects table (unique
 * `opencode_session_id`) and the messages table (status defaulting to `pending`).
 *
 * @example
 * ```ts
 * await knex.migrate.latest({ migrationSource: opencodeMigrations() })
 * ```
 */
export function opencodeMigrations(
  options: OpencodeMigrationsOptions = {},
): Knex.MigrationSource<OpencodeMigration> {
  const subjects = options.subjectsTable ?? DEFAULT_SUBJECTS_TABLE
  const messages = options.messagesTable ?? DEFAULT_MESSAGES_TABLE
  const migration: OpencodeMigration = {
    name: `20260101000000_create_${subjects}_and_${messages}`,
    async up(knex) {
      await knex.schema.createTable(subjects, (t) => {
        t.bigIncrements('id')
        t.text('title').nullable()
        t.string('opencode_session_id', 255).nullable().unique()
        t.timestamp('created_at').notNullable().defaultTo(knex.fn.now())
        t.timestamp('updated_at').notNullable().defaultTo(knex.fn.now())
      })
      await knex.schema.createTable(messages, (t) => {
        t.bigIncrements('id')
        t.bigInteger('subject_id')
          .unsigned()
          .notNullable()
          .references('id')
          .inTable(subjects)
          .onDelete('CASCADE')
        t.string('status', 16).notNullable().defaultTo('pending')
        t.text('content').nullable()
        t.text('reasoning').nullable()
        t.json('parts_json').nullable()
        t.json('tool_calls_json').nullable()
        t.decimal('cost', 12, 6).nullable()
        t.integer('input_tokens').nullable()
        t.integer('output_tokens').nullable()
        t.integer('cache_read_tokens').nullable()
        t.integer('cache_write_tokens').nullable()
        t.timestamp('last_activity_at').nullable()
        t.string('opencode_session_id', 255).nullable()
        t.string('opencode_message_id', 255).nullable()
        t.text('requests_json', 'longtext').nullable()
        t.timestamp('created_at').notNullable().defaultTo(knex.fn.now())
        t.timestamp('updated_at').notNullable().defaultTo(knex.fn.now())
        t.index(['subject_id'])
        t.index(['status', 'last_activity_at'])
      })
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(messages)
      await knex.schema.dropTableIfExists(subjects)
    },
  }
  return {
    getMigrations: async () => [migration],
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({ up: m.up, down: m.down }),
  }
}
