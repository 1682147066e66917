/** A query result as the sandbox and the kit see it: column names and rows of values. */
export interface TabularData {
  columns: string[];
  rows: unknown[][];
}
