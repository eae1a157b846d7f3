import { DEFAULT_MESSAGES_TABLE, DEFAULT_SUBJECTS_TABLE } from './columns.js'

/** The SQL dialects of {@link opencodeDdl}. */
export type SqlDialect = 'postgresql' | 'mysql' | 'sqlite'

/** Table names for {@link opencodeDdl}. */
export interface DdlOptions {
  /** Default `opencode_subjects`. */
  subjectsTable?: string
  /** Default `opencode_messages`. */
  messagesTable?: string
}

/**
 * The shipped schema as plain SQL statements for `dialect` — the same tables, columns, types,
 * constraint and index names every adapter's schema helper creates (adapter-knex's migration, the
 * Sequelize migration, the MikroORM entities, the Drizzle tables, the Prisma models), for
 * migrators that take SQL or an app without one. Idempotent (`if not exists`); run them in order.
 *
 * @example
 * ```ts
 * for (const statement of opencodeDdl('postgresql')) await db.query(statement)
 * ```
 */
export function opencodeDdl(dialect: SqlDialect, options: DdlOptions = {}): string[] {
  const s = options.subjectsTable ?? DEFAULT_SUBJECTS_TABLE
  const m = options.messagesTable ?? DEFAULT_MESSAGES_TABLE
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
