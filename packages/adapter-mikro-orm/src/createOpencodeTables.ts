import type { EntityManager, MikroORM } from '@mikro-orm/core'

/**
 * Table names of {@link opencodeDdl} and {@link createOpencodeTables} (default `opencode_subjects`
 * and `opencode_messages`).
 *
 * @example
 * ```ts
 * const options: OpencodeTablesOptions = { subjectsTable: 'ai_threads', messagesTable: 'ai_replies' }
 * await createOpencodeTables(orm, options)
 * ```
 */
export interface OpencodeTablesOptions {
  subjectsTable?: string
  messagesTable?: string
}

type Dialect = 'sqlite' | 'postgresql' | 'mysql'

function dialectOf(orm: MikroORM | EntityManager): Dialect {
  const em = 'fork' in orm ? orm : orm.em
  const platform = em.getPlatform().constructor.name.toLowerCase()
  if (platform.includes('sqlite')) return 'sqlite'
  if (platform.includes('postgre')) return 'postgresql'
  if (platform.includes('mysql') || platform.includes('maria')) return 'mysql'
  throw new Error(`opencodeDdl: unsupported platform ${platform} (PostgreSQL, MySQL/MariaDB, SQLite)`)
}

/**
 * The shipped schema's DDL for the ORM's platform (PostgreSQL, MySQL/MariaDB or SQLite): the same
 * column types, defaults and constraint names as `@opencode-kit/adapter-knex`'s migration, so the
 * tables are interchangeable between the adapters. Every statement is idempotent (`if not exists`).
 * Put them in a MikroORM migration, or run them with {@link createOpencodeTables}.
 *
 * @example
 * ```ts
 * // migrations/Migration20260101000000.ts (with @mikro-orm/migrations)
 * import { Migration } from '@mikro-orm/migrations'
 * import { opencodeDdl } from '@opencode-kit/adapter-mikro-orm'
 *
 * export class Migration20260101000000 extends Migration {
 *   async up() {
 *     for (const sql of opencodeDdl(this.getEntityManager())) this.addSql(sql)
 *   }
 *   async down() {
 *     this.addSql('drop table if exists opencode_messages')
 *     this.addSql('drop table if exists opencode_subjects')
 *   }
 * }
 * ```
 */
export function opencodeDdl(orm: MikroORM | EntityManager, options: OpencodeTablesOptions = {}): string[] {
  const s = options.subjectsTable ?? 'opencode_subjects'
  const m = options.messagesTable ?? 'opencode_messages'
  const dialect = dialectOf(orm)
  if (dialect === 'postgresql') {
    return [
      `create table if not exists "${s}" ("id" bigserial primary key, "title" text null, "opencode_session_id" varchar(255) null, "created_at" timestamptz not null default CURRENT_TIMESTAMP, "updated_at" timestamptz not null default CURRENT_TIMESTAMP, constraint "${s}_opencode_session_id_unique" unique ("opencode_session_id"))`,
      `create table if not exists "${m}" ("id" bigserial primary key, "subject_id" bigint not null, "status" varchar(16) not null default 'pending', "content" text null, "reasoning" text null, "parts_json" json null, "tool_calls_json" json null, "cost" decimal(12, 6) null, "input_tokens" integer null, "output_tokens" integer null, "cache_read_tokens" integer null, "cache_write_tokens" integer null, "last_activity_at" timestamptz null, "opencode_session_id" varchar(255) null, "opencode_message_id" varchar(255) null, "requests_json" text null, "created_at" timestamptz not null default CURRENT_TIMESTAMP, "updated_at" timestamptz not null default CURRENT_TIMESTAMP, constraint "${m}_subject_id_foreign" foreign key ("subject_id") references "${s}" ("id") on delete CASCADE)`,
      `create index if not exists "${m}_subject_id_index" on "${m}" ("subject_id")`,
      `create index if not exists "${m}_status_last_activity_at_index" on "${m}" ("status", "last_activity_at")`,
    ]
  }
  if (dialect === 'mysql') {
    return [
      `create table if not exists \`${s}\` (\`id\` bigint unsigned not null auto_increment primary key, \`title\` text null, \`opencode_session_id\` varchar(255) null, \`created_at\` timestamp not null default CURRENT_TIMESTAMP, \`updated_at\` timestamp not null default CURRENT_TIMESTAMP, unique key \`${s}_opencode_session_id_unique\` (\`opencode_session_id\`))`,
      `create table if not exists \`${m}\` (\`id\` bigint unsigned not null auto_increment primary key, \`subject_id\` bigint unsigned not null, \`status\` varchar(16) not null default 'pending', \`content\` text null, \`reasoning\` text null, \`parts_json\` json null, \`tool_calls_json\` json null, \`cost\` decimal(12, 6) null, \`input_tokens\` int null, \`output_tokens\` int null, \`cache_read_tokens\` int null, \`cache_write_tokens\` int null, \`last_activity_at\` timestamp null, \`opencode_session_id\` varchar(255) null, \`opencode_message_id\` varchar(255) null, \`requests_json\` longtext null, \`created_at\` timestamp not null default CURRENT_TIMESTAMP, \`updated_at\` timestamp not null default CURRENT_TIMESTAMP, index \`${m}_subject_id_index\` (\`subject_id\`), index \`${m}_status_last_activity_at_index\` (\`status\`, \`last_activity_at\`), constraint \`${m}_subject_id_foreign\` foreign key (\`subject_id\`) references \`${s}\` (\`id\`) on delete CASCADE)`,
    ]
  }
  return [
    `create table if not exists \`${s}\` (\`id\` integer not null primary key autoincrement, \`title\` text null, \`opencode_session_id\` varchar(255) null, \`created_at\` datetime not null default CURRENT_TIMESTAMP, \`updated_at\` datetime not null default CURRENT_TIMESTAMP)`,
    `create unique index if not exists \`${s}_opencode_session_id_unique\` on \`${s}\` (\`opencode_session_id\`)`,
    `create table if not exists \`${m}\` (\`id\` integer not null primary key autoincrement, \`subject_id\` bigint not null, \`status\` varchar(16) not null default 'pending', \`content\` text null, \`reasoning\` text null, \`parts_json\` json null, \`tool_calls_json\` json null, \`cost\` float null, \`input_tokens\` integer null, \`output_tokens\` integer null, \`cache_read_tokens\` integer null, \`cache_write_tokens\` integer null, \`last_activity_at\` datetime null, \`opencode_session_id\` varchar(255) null, \`opencode_message_id\` varchar(255) null, \`requests_json\` text null, \`created_at\` datetime not null default CURRENT_TIMESTAMP, \`updated_at\` datetime not null default CURRENT_TIMESTAMP, foreign key(\`subject_id\`) references \`${s}\`(\`id\`) on delete CASCADE)`,
    `create index if not exists \`${m}_subject_id_index\` on \`${m}\` (\`subject_id\`)`,
    `create index if not exists \`${m}_status_last_activity_at_index\` on \`${m}\` (\`status\`, \`last_activity_at\`)`,
  ]
}

/**
 * Create the shipped schema's two tables if they are missing ({@link opencodeDdl}, run on the ORM's
 * connection). Handy in development and tests; in production put the statements in a migration.
 *
 * @example
 * ```ts
 * const orm = await MikroORM.init({ driver: BetterSqliteDriver, dbName: 'app.db', entities: [OpencodeSubjectSchema, OpencodeMessageSchema] })
 * await createOpencodeTables(orm)
 * ```
 */
export async function createOpencodeTables(
  orm: MikroORM | EntityManager,
  options: OpencodeTablesOptions = {},
): Promise<void> {
  const connection = ('fork' in orm ? orm : orm.em).getConnection()
  for (const sql of opencodeDdl(orm, options)) await connection.execute(sql)
}
