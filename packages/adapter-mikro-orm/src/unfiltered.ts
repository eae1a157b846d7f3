/**
 * The ports address one row by primary key: the app's entity filters (soft delete, tenant scope)
 * must neither hide it nor demand filter arguments — as Rails' `update_columns` ignores scopes.
 */
export const UNFILTERED = { filters: false } as const
