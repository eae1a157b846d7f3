/** Primary key of a host row. */
export type RowId = string | number
