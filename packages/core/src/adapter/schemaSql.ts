import { DEFAULT_MESSAGES_TABLE, DEFAULT_SUBJECTS_TABLE } from './columns.js'

/** The SQL dialects of {@link opencodeSchemaSql}. */
export type SqlDialect = 'postgresql' | 'mysql' | 'sqlite'

/** Table names for {@link opencodeSchemaSql}. */
export interface SchemaSqlOptions {
  /** Default `opencode_subjects`. */
  subjectsTable?: string
  /** Default `opencode_messages`. */
  messagesTable?: string
}

/**
 * The shipped schema as plain SQL statements for `dialect` — the same tables, columns, types,
 * constraint and index names every adapter's schema helper creates (adapter-knex's migration, the
 * Drizzle tables, the Prisma models…), for migrators that take SQL files or an app without one.
 * Run them in order, once.
 *
 * @example
 * ```ts
 * for (const statement of opencodeSchemaSql('postgresql')) await db.query(statement)
 * ```
 */
export function opencodeSchemaSql(dialect: SqlDialect, options: SchemaSqlOptions = {}): string[] {
  const s = options.subjectsTable ?? DEFAULT_SUBJECTS_TABLE
  const m = options.messagesTable ?? DEFAULT_MESSAGES_TABLE
  const t = DIALECTS[dialect]
  const q = (name: string) => (dialect === 'postgresql' ? `"${name}"` : `\`${name}\``)
  const stamps = `${q('created_at')} ${t.timestamp} not null default CURRENT_TIMESTAMP, ${q('updated_at')} ${t.timestamp} not null default CURRENT_TIMESTAMP`
  const foreign = `foreign key (${q('subject_id')}) references ${q(s)} (${q('id')}) on delete CASCADE`
  const statements = [
    `create table ${q(s)} (${q('id')} ${t.key}, ${q('title')} text null, ${q('opencode_session_id')} varchar(255) null, ${stamps})`,
    dialect === 'mysql'
      ? `alter table ${q(s)} add unique ${q(`${s}_opencode_session_id_unique`)}(${q('opencode_session_id')})`
      : dialect === 'postgresql'
        ? `alter table ${q(s)} add constraint ${q(`${s}_opencode_session_id_unique`)} unique (${q('opencode_session_id')})`
        : `create unique index ${q(`${s}_opencode_session_id_unique`)} on ${q(s)} (${q('opencode_session_id')})`,
    `create table ${q(m)} (${q('id')} ${t.key}, ${q('subject_id')} ${t.reference} not null, ${q('status')} varchar(16) not null default 'pending', ${q('content')} text null, ${q('reasoning')} text null, ${q('parts_json')} json null, ${q('tool_calls_json')} json null, ${q('cost')} ${t.decimal} null, ${q('input_tokens')} ${t.int} null, ${q('output_tokens')} ${t.int} null, ${q('cache_read_tokens')} ${t.int} null, ${q('cache_write_tokens')} ${t.int} null, ${q('last_activity_at')} ${t.timestamp} null, ${q('opencode_session_id')} varchar(255) null, ${q('opencode_message_id')} varchar(255) null, ${q('requests_json')} ${t.longtext} null, ${stamps}${dialect === 'sqlite' ? `, ${foreign}` : ''})`,
  ]
  if (dialect !== 'sqlite')
    statements.push(`alter table ${q(m)} add constraint ${q(`${m}_subject_id_foreign`)} ${foreign}`)
  for (const [name, columns] of [
    ['subject_id_index', ['subject_id']],
    ['status_last_activity_at_index', ['status', 'last_activity_at']],
  ] as const) {
    const list = columns.map(q).join(', ')
    statements.push(
      dialect === 'mysql'
        ? `alter table ${q(m)} add index ${q(`${m}_${name}`)}(${list})`
        : `create index ${q(`${m}_${name}`)} on ${q(m)} (${list})`,
    )
  }
  return statements
}

// Column types as adapter-knex's migration creates them on each database.
const DIALECTS = {
  postgresql: {
    key: 'bigserial primary key',
    reference: 'bigint',
    timestamp: 'timestamptz',
    decimal: 'decimal(12, 6)',
    int: 'integer',
    longtext: 'text',
  },
  mysql: {
    key: 'bigint unsigned not null auto_increment primary key',
    reference: 'bigint unsigned',
    timestamp: 'timestamp',
    decimal: 'decimal(12, 6)',
    int: 'int',
    longtext: 'longtext',
  },
  sqlite: {
    key: 'integer not null primary key autoincrement',
    reference: 'bigint',
    timestamp: 'datetime',
    decimal: 'float',
    int: 'integer',
    longtext: 'text',
  },
} as const
