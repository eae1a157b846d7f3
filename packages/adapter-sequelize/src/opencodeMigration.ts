import { DEFAULT_MESSAGES_TABLE, DEFAULT_SUBJECTS_TABLE } from '@opencode-kit/core/adapter'
import { DataTypes, type QueryInterface } from 'sequelize'

/** Table names used by {@link createOpencodeTables} / {@link dropOpencodeTables}. */
export interface OpencodeTableNames {
  /** Default `opencode_subjects`. */
  subjectsTable?: string
  /** Default `opencode_messages`. */
  messagesTable?: string
}

/**
 * Create the shipped schema with a `QueryInterface` (no `sync`): `opencode_subjects` with a UNIQUE
 * `opencode_session_id`, and `opencode_messages` referencing it.
 */
export async function createOpencodeTables(
  queryInterface: QueryInterface,
  names: OpencodeTableNames = {},
): Promise<void> {
  const subjects = names.subjectsTable ?? DEFAULT_SUBJECTS_TABLE
  const messages = names.messagesTable ?? DEFAULT_MESSAGES_TABLE
  await queryInterface.createTable(subjects, {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    title: { type: DataTypes.TEXT, allowNull: true },
    opencode_session_id: { type: DataTypes.STRING(255), allowNull: true, unique: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  })
  await queryInterface.createTable(messages, {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    subject_id: {
      type: DataTypes.INTEGER,
      allowNull: false,
      references: { model: subjects, key: 'id' },
      onDelete: 'CASCADE',
    },
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
    content: { type: DataTypes.TEXT, allowNull: true },
    reasoning: { type: DataTypes.TEXT, allowNull: true },
    parts_json: { type: DataTypes.JSON, allowNull: true },
    tool_calls_json: { type: DataTypes.JSON, allowNull: true },
    cost: { type: DataTypes.DOUBLE, allowNull: true },
    input_tokens: { type: DataTypes.INTEGER, allowNull: true },
    output_tokens: { type: DataTypes.INTEGER, allowNull: true },
    cache_read_tokens: { type: DataTypes.INTEGER, allowNull: true },
    cache_write_tokens: { type: DataTypes.INTEGER, allowNull: true },
    last_activity_at: { type: DataTypes.DATE, allowNull: true },
    opencode_session_id: { type: DataTypes.STRING(255), allowNull: true },
    opencode_message_id: { type: DataTypes.STRING(255), allowNull: true },
    requests_json: { type: DataTypes.TEXT('long'), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  })
  await queryInterface.addIndex(messages, ['subject_id'])
  await queryInterface.addIndex(messages, ['status', 'last_activity_at'])
}

/** Drop the tables {@link createOpencodeTables} created (messages first). */
export async function dropOpencodeTables(
  queryInterface: QueryInterface,
  names: OpencodeTableNames = {},
): Promise<void> {
  await queryInterface.dropTable(names.messagesTable ?? DEFAULT_MESSAGES_TABLE)
  await queryInterface.dropTable(names.subjectsTable ?? DEFAULT_SUBJECTS_TABLE)
}

/** What `up`/`down` receive: umzug's `{ context }` or sequelize-cli's `queryInterface` argument. */
export type MigrationArgument = QueryInterface | { context: QueryInterface }

const queryInterfaceOf = (arg: MigrationArgument): QueryInterface => ('context' in arg ? arg.context : arg)

/**
 * The shipped schema as a migration usable by umzug (`{ name, up({ context }), down({ context }) }`
 * with `context: sequelize.getQueryInterface()`) and by sequelize-cli (re-export it from a file in
 * `migrations/`: its `up(queryInterface, Sequelize)` signature is accepted too).
 *
 * @example
 * ```ts
 * // umzug
 * const umzug = new Umzug({
 *   migrations: [opencodeMigration],
 *   context: sequelize.getQueryInterface(),
 *   storage: new SequelizeStorage({ sequelize }),
 *   logger: console,
 * })
 * await umzug.up()
 *
 * // sequelize-cli: migrations/20260101000000-opencode.js
 * module.exports = require('@opencode-kit/adapter-sequelize').opencodeMigration
 * ```
 */
export const opencodeMigration = {
  name: '20260101000000-opencode-kit-tables',
  /** Create `opencode_subjects` and `opencode_messages`. */
  up: (arg: MigrationArgument): Promise<void> => createOpencodeTables(queryInterfaceOf(arg)),
  /** Drop them. */
  down: (arg: MigrationArgument): Promise<void> => dropOpencodeTables(queryInterfaceOf(arg)),
}
