/**
 * `@opencode-kit/adapter-prisma`: `RecordPort` and `MessagePort` on your generated Prisma 7 client
 * for PostgreSQL (`@prisma/adapter-pg`), MySQL/MariaDB (`@prisma/adapter-mariadb`) and SQLite
 * (`@prisma/adapter-better-sqlite3`), and the shipped schema as Prisma models to paste into
 * `schema.prisma`.
 */
export { type DdlOptions, opencodeDdl, type SqlDialect } from '@opencode-kit/core/adapter'
export { type OpencodePrismaModelsOptions, opencodePrismaModels } from './opencodePrismaModels.js'
export {
  type PrismaAdapter,
  type PrismaAdapterOptions,
  type PrismaClientLike,
  type PrismaTableOptions,
  prismaAdapter,
} from './prismaAdapter.js'
