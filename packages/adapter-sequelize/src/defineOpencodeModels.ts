import { DEFAULT_MESSAGES_TABLE, DEFAULT_SUBJECTS_TABLE } from '@opencode-kit/core/adapter'
import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize'

/** Options of {@link defineOpencodeModels}. */
export interface OpencodeModelsOptions {
  /** Default `opencode_subjects`. */
  subjectsTable?: string
  /** Default `opencode_messages`. */
  messagesTable?: string
  /** Model name registered on the Sequelize instance. Default `OpencodeSubject`. */
  subjectModelName?: string
  /** Model name registered on the Sequelize instance. Default `OpencodeMessage`. */
  messageModelName?: string
}

/** The two models {@link defineOpencodeModels} returns. */
export interface OpencodeModels {
  /** `opencode_subjects`: `id`, `title`, `opencodeSessionId`, timestamps. */
  Subject: ModelStatic<Model>
  /** `opencode_messages`: `id`, `subjectId`, `status`, `content`, … , timestamps. */
  Message: ModelStatic<Model>
}

/**
 * Define the shipped schema as Sequelize models (attributes in camelCase, columns in snake_case,
 * `Subject.hasMany(Message, { as: 'messages' })`). Pass them to {@link sequelizeAdapter}, or use
 * them to create rows. Defining models creates no table: run {@link opencodeMigration}.
 *
 * @example
 * ```ts
 * const { Subject, Message } = defineOpencodeModels(sequelize)
 * const { records, messages } = sequelizeAdapter(sequelize, {
 *   subjects: { model: Subject },
 *   messages: { model: Message },
 * })
 * ```
 */
export function defineOpencodeModels(
  sequelize: Sequelize,
  options: OpencodeModelsOptions = {},
): OpencodeModels {
  const subjectsTable = options.subjectsTable ?? DEFAULT_SUBJECTS_TABLE
  const messagesTable = options.messagesTable ?? DEFAULT_MESSAGES_TABLE
  const Subject = sequelize.define(
    options.subjectModelName ?? 'OpencodeSubject',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      title: { type: DataTypes.TEXT, allowNull: true },
      opencodeSessionId: { type: DataTypes.STRING(255), allowNull: true, unique: true },
    },
    { tableName: subjectsTable, underscored: true, timestamps: true },
  )
  const Message = sequelize.define(
    options.messageModelName ?? 'OpencodeMessage',
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      subjectId: { type: DataTypes.INTEGER, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      content: { type: DataTypes.TEXT, allowNull: true },
      reasoning: { type: DataTypes.TEXT, allowNull: true },
      parts: { type: DataTypes.JSON, allowNull: true, field: 'parts_json' },
      toolCalls: { type: DataTypes.JSON, allowNull: true, field: 'tool_calls_json' },
      cost: { type: DataTypes.DOUBLE, allowNull: true },
      inputTokens: { type: DataTypes.INTEGER, allowNull: true },
      outputTokens: { type: DataTypes.INTEGER, allowNull: true },
      cacheReadTokens: { type: DataTypes.INTEGER, allowNull: true },
      cacheWriteTokens: { type: DataTypes.INTEGER, allowNull: true },
      lastActivityAt: { type: DataTypes.DATE, allowNull: true },
      opencodeSessionId: { type: DataTypes.STRING(255), allowNull: true },
      opencodeMessageId: { type: DataTypes.STRING(255), allowNull: true },
      /** JSON text of the turn's permission/question requests (a text column: the ports compare it). */
      requests: { type: DataTypes.TEXT('long'), allowNull: true, field: 'requests_json' },
    },
    { tableName: messagesTable, underscored: true, timestamps: true },
  )
  Subject.hasMany(Message, { foreignKey: 'subjectId', as: 'messages' })
  Message.belongsTo(Subject, { foreignKey: 'subjectId', as: 'subject' })
  return { Subject, Message }
}
