// Generated Prisma clients for the tests: one per provider, from the shipped models
// (opencodePrismaModels), in packages/adapter-prisma/.generated (git-ignored). `generateClients`
// is the vitest globalSetup of this project; it regenerates only when the schema or Prisma changed.
// `prisma generate` needs no engine for a driver-adapter client but tries to download the schema
// engine: PRISMA_SCHEMA_ENGINE_BINARY pointing at any existing file keeps it offline.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { PrismaClientLike } from '../../src/index.js'
import { opencodePrismaModels } from '../../src/index.js'

export type Provider = 'postgresql' | 'mysql' | 'sqlite'

const root = fileURLToPath(new URL('../../.generated/', import.meta.url))
const require = createRequire(import.meta.url)

function schemaOf(provider: Provider): string {
  return `generator client {
  provider = "prisma-client"
  output   = "./${provider}"
}

datasource db {
  provider = "${provider}"
}

${opencodePrismaModels({ provider })}`
}

/** A host app's own models on SQLite: other model, table, field and column names; JSON as text. */
const CUSTOM = `generator client {
  provider = "prisma-client"
  output   = "./custom"
}

datasource db {
  provider = "sqlite"
}

model Conversation {
  key          Int     @id @default(autoincrement())
  name         String?
  agentSession String? @unique @map("agent_session")

  @@map("conversations")
}

model Reply {
  key    Int       @id @default(autoincrement())
  state  String    @default("pending")
  body   String?
  parts  String?
  price  Decimal?
  seenAt DateTime? @map("seen_at")

  @@map("replies")
}
`

/** The clients the tests use: one per provider on the shipped models, and `custom`. */
export type ClientName = Provider | 'custom'
const schemas = (): Record<ClientName, string> => ({
  postgresql: schemaOf('postgresql'),
  mysql: schemaOf('mysql'),
  sqlite: schemaOf('sqlite'),
  custom: CUSTOM,
})

/** Generate the clients unless up to date. */
export default function generateClients(): void {
  mkdirSync(root, { recursive: true })
  const prisma = require.resolve('prisma/build/index.js')
  const version = JSON.parse(readFileSync(require.resolve('prisma/package.json'), 'utf8')).version as string
  for (const [provider, source] of Object.entries(schemas())) {
    const schema = `// prisma ${version}\n${source}`
    const file = join(root, `${provider}.prisma`)
    if (
      existsSync(join(root, provider, 'client.ts')) &&
      existsSync(file) &&
      readFileSync(file, 'utf8') === schema
    )
      continue
    writeFileSync(file, schema)
    const result = spawnSync(process.execPath, [prisma, 'generate', '--schema', file], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      },
    })
    if (result.status !== 0) {
      writeFileSync(file, '')
      throw new Error(`prisma generate (${provider}) failed:\n${result.stdout}\n${result.stderr}`)
    }
  }
}

/** The generated `PrismaClient` class of one client. */
export async function prismaClientClass(
  provider: ClientName,
): Promise<new (options: { adapter: unknown }) => PrismaClientLike & { $disconnect(): Promise<void> }> {
  const mod = await import(pathToFileURL(join(root, provider, 'client.ts')).href)
  return mod.PrismaClient
}
