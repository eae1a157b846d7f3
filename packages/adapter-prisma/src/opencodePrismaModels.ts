import { DEFAULT_MESSAGES_TABLE, DEFAULT_SUBJECTS_TABLE } from '@opencode-kit/core/adapter'

/** Options of {@link opencodePrismaModels}. */
export interface OpencodePrismaModelsOptions {
  /** Your datasource's provider: the column types follow it. */
  provider: 'postgresql' | 'mysql' | 'sqlite'
  /** Default `opencode_subjects`. */
  subjectsTable?: string
  /** Default `opencode_messages`. */
  messagesTable?: string
}

/**
 * The shipped schema as Prisma models (`OpencodeSubject`, `OpencodeMessage`) to paste into your
 * `schema.prisma`: the same tables, column for column and type for type, as every other
 * opencode-kit adapter creates, so rows are interchangeable. Add a relation from your own models
 * if you like; keep the field names (or name yours in the adapter's `columns` option).
 * `OpencodeMessage.updatedAt` has no `@updatedAt`: the adapter stamps it on terminal transitions
 * only, never on the snapshots it writes while streaming.
 *
 * @example
 * ```ts
 * import { opencodePrismaModels } from '@opencode-kit/adapter-prisma'
 *
 * console.log(opencodePrismaModels({ provider: 'postgresql' })) // paste into prisma/schema.prisma
 * ```
 */
export function opencodePrismaModels(options: OpencodePrismaModelsOptions): string {
  const subjects = options.subjectsTable ?? DEFAULT_SUBJECTS_TABLE
  const messages = options.messagesTable ?? DEFAULT_MESSAGES_TABLE
  const t = TYPES[options.provider]
  return `model OpencodeSubject {
  id                BigInt            @id @default(autoincrement())${t.key}
  title             String?${t.text}
  opencodeSessionId String?           @unique(map: "${subjects}_opencode_session_id_unique") @map("opencode_session_id")${t.varchar}
  createdAt         DateTime          @default(now()) @map("created_at")${t.timestamp}
  updatedAt         DateTime          @default(now()) @updatedAt @map("updated_at")${t.timestamp}
  messages          OpencodeMessage[]

  @@map("${subjects}")
}

model OpencodeMessage {
  id                BigInt          @id @default(autoincrement())${t.key}
  subjectId         BigInt          @map("subject_id")${t.key}
  subject           OpencodeSubject @relation(fields: [subjectId], references: [id], onDelete: Cascade${t.foreignKey ? `, map: "${messages}_subject_id_foreign"` : ''})
  status            String          @default("pending")${t.status}
  content           String?${t.text}
  reasoning         String?${t.text}
  parts             Json?           @map("parts_json")${t.json}
  toolCalls         Json?           @map("tool_calls_json")${t.json}
  cost              Decimal?${t.decimal}
  inputTokens       Int?            @map("input_tokens")
  outputTokens      Int?            @map("output_tokens")
  cacheReadTokens   Int?            @map("cache_read_tokens")
  cacheWriteTokens  Int?            @map("cache_write_tokens")
  lastActivityAt    DateTime?       @map("last_activity_at")${t.timestamp}
  opencodeSessionId String?         @map("opencode_session_id")${t.varchar}
  opencodeMessageId String?         @map("opencode_message_id")${t.varchar}
  requests          String?         @map("requests_json")${t.longtext}
  createdAt         DateTime        @default(now()) @map("created_at")${t.timestamp}
  updatedAt         DateTime        @default(now()) @map("updated_at")${t.timestamp}

  @@index([subjectId], map: "${messages}_subject_id_index")
  @@index([status, lastActivityAt], map: "${messages}_status_last_activity_at_index")
  @@map("${messages}")
}
`
}

// Native types matching the shipped SQL (adapter-knex's migration) on each database.
const TYPES = {
  postgresql: {
    key: '',
    text: '',
    varchar: ' @db.VarChar(255)',
    status: ' @db.VarChar(16)',
    timestamp: ' @db.Timestamptz(6)',
    json: ' @db.Json',
    decimal: ' @db.Decimal(12, 6)',
    longtext: '',
    foreignKey: true,
  },
  mysql: {
    key: ' @db.UnsignedBigInt',
    text: ' @db.Text',
    varchar: ' @db.VarChar(255)',
    status: ' @db.VarChar(16)',
    timestamp: ' @db.Timestamp(0)',
    json: '',
    decimal: ' @db.Decimal(12, 6)',
    longtext: ' @db.LongText',
    foreignKey: true,
  },
  sqlite: {
    key: '',
    text: '',
    varchar: '',
    status: '',
    timestamp: '',
    json: '',
    decimal: '',
    longtext: '',
    // SQLite has no named constraints.
    foreignKey: false,
  },
} as const
