// knex and Sequelize opened on a test's isolated database, to check that the three adapters share
// one schema and read each other's rows. The other adapters are imported from their sources.
import knexFactory, { type Knex } from 'knex'
import { Sequelize } from 'sequelize'
import type { OrmSpec } from './isolatedOrm.js'

export { knexAdapter, opencodeMigrations } from '../../../adapter-knex/src/index.js'
export { sequelizeAdapter } from '../../../adapter-sequelize/src/index.js'

/** A knex instance on the same database as `spec`. */
export function knexOn(spec: OrmSpec): Knex {
  if (spec.name === 'sqlite') {
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: spec.target },
      useNullAsDefault: true,
    })
  }
  if (spec.name === 'postgres') {
    return knexFactory({
      client: 'pg',
      connection: spec.target,
      searchPath: spec.schema ? [spec.schema] : undefined,
    })
  }
  return knexFactory({ client: 'mysql2', connection: spec.target })
}

/** A Sequelize instance on the same database as `spec`. */
export function sequelizeOn(spec: OrmSpec): Sequelize {
  if (spec.name === 'sqlite')
    return new Sequelize({ dialect: 'sqlite', storage: spec.target, logging: false })
  if (spec.name === 'postgres') {
    return new Sequelize(spec.target, {
      dialect: 'postgres',
      logging: false,
      dialectOptions: { options: `-c search_path=${spec.schema}` },
    })
  }
  return new Sequelize(spec.target, { dialect: 'mysql', logging: false })
}
