import type { MikroORM } from '@mikro-orm/core'

/** Table names of {@link createOpencodeTables}. */
export interface OpencodeTablesOptions {
  subjectsTable?: string
  messagesTable?: string
}

/**
 * The shipped schema's DDL for the ORM's platform (PostgreSQL, MySQL/MariaDB or SQLite) — the same
 * tables the knex and Sequelize adapters create. Put it in a migration (`this.addSql(...)`) or run
 * it with {@link createOpencodeTables}.
 *
 * @example
 * ```ts
 * for (const sql of opencodeDdl(orm)) this.addSql(sql) // inside a MikroORM Migration's up()
 * ```
 */
export function opencodeDdl(orm: MikroORM, options: OpencodeTablesOptions = {}): string[] {
  const s = options.subjectsTable ?? 'opencode_subjects'
  const m = options.messagesTable ?? 'opencode_messages'
  const platform = orm.em.getPlatform().constructor.name.toLowerCase()
  if (platform.includes('sqlite')) {
    return [
      `create table if not exists "${s}" ("id" integer primary key autoincrement, "title" text null, "opencode_session_id" varchar(255) null unique, "created_at" datetime not null default CURRENT_TIMESTAMP, "updated_at" datetime not null default CURRENT_TIMESTAMP)`,
      `create table if not exists "${m}" ("id" integer primary key autoincrement, "subject_id" bigint not null references "${s}" ("id") on delete cascade, "status" varchar(16) not null default 'pending', "content" text null, "reasoning" text null, "parts_json" json null, "tool_calls_json" json null, "cost" decimal(12,6) null, "input_tokens" integer null, "output_tokens" integer null, "cache_read_tokens" integer null, "cache_write_tokens" integer null, "last_activity_at" datetime null, "created_at" datetime not null default CURRENT_TIMESTAMP, "updated_at" datetime not null default CURRENT_TIMESTAMP)`,
      `create index if not exists "${m}_subject_id_index" on "${m}" ("subject_id")`,
    ]
  }
  if (platform.includes('postgre')) {
    return [
      `create table if not exists "${s}" ("id" bigserial primary key, "title" text null, "opencode_session_id" varchar(255) null unique, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now())`,
      `create table if not exists "${m}" ("id" bigserial primary key, "subject_id" bigint not null references "${s}" ("id") on delete cascade, "status" varchar(16) not null default 'pending', "content" text null, "reasoning" text null, "parts_json" json null, "tool_calls_json" json null, "cost" decimal(12,6) null, "input_tokens" integer null, "output_tokens" integer null, "cache_read_tokens" integer null, "cache_write_tokens" integer null, "last_activity_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now())`,
      `create index if not exists "${m}_subject_id_index" on "${m}" ("subject_id")`,
    ]
  }
  return [
    `create table if not exists \`${s}\` (\`id\` bigint unsigned not null auto_increment primary key, \`title\` text null, \`opencode_session_id\` varchar(255) null unique, \`created_at\` datetime not null default CURRENT_TIMESTAMP, \`updated_at\` datetime not null default CURRENT_TIMESTAMP)`,
    `create table if not exists \`${m}\` (\`id\` bigint unsigned not null auto_increment primary key, \`subject_id\` bigint unsigned not null, \`status\` varchar(16) not null default 'pending', \`content\` text null, \`reasoning\` text null, \`parts_json\` json null, \`tool_calls_json\` json null, \`cost\` decimal(12,6) null, \`input_tokens\` int null, \`output_tokens\` int null, \`cache_read_tokens\` int null, \`cache_write_tokens\` int null, \`last_activity_at\` datetime null, \`created_at\` datetime not null default CURRENT_TIMESTAMP, \`updated_at\` datetime not null default CURRENT_TIMESTAMP, index \`${m}_subject_id_index\` (\`subject_id\`), constraint \`${m}_subject_id_foreign\` foreign key (\`subject_id\`) references \`${s}\` (\`id\`) on delete cascade)`,
  ]
}

/**
 * Create the shipped schema's two tables (if missing) — for development and tests; in production
 * put {@link opencodeDdl} in a migration.
 *
 * @example
 * ```ts
 * await createOpencodeTables(orm)
 * ```
 */
export async function createOpencodeTables(
  orm: MikroORM,
  options: OpencodeTablesOptions = {},
): Promise<void> {
  const connection = orm.em.getConnection()
  for (const sql of opencodeDdl(orm, options)) await connection.execute(sql)
}
