import { InvalidArgumentError } from '../wire/errors.js'

/**
 * Translate a resolved column map into the ORM's own names (Sequelize attributes, MikroORM
 * properties, Prisma fields, Drizzle column keys): `lookup(column)` answers the name for a column,
 * or undefined when the model has none — a clear configuration error naming the field. `null`
 * fields stay `null`.
 *
 * @example
 * ```ts
 * const byColumn = new Map(Object.entries(getTableColumns(table)).map(([key, c]) => [c.name, key]))
 * const names = mapColumns(resolved.messages.columns, (column) => byColumn.get(column), 'table chat_messages')
 * ```
 */
export function mapColumns<Columns extends object>(
  columns: Columns,
  lookup: (column: string) => string | undefined,
  owner: string,
): Columns {
  const out = {} as Record<string, string | null>
  for (const [field, column] of Object.entries(columns) as Array<[string, string | null]>) {
    if (column === null) {
      out[field] = null
      continue
    }
    const name = lookup(column)
    if (name === undefined) {
      throw new InvalidArgumentError(
        `${owner} has no column ${column} for ${field}: name its column in the adapter's columns option (or null when optional and the table has none)`,
      )
    }
    out[field] = name
  }
  return out as Columns
}
