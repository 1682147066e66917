import type { ResultColumn } from "@/lib/generated/types";

/**
 * A query result as the sandbox and the kit see it: column names and rows of values, and (when the
 * server described them) `fields`: per column its type, format and date grain, in column order.
 */
export interface TabularData {
  columns: string[];
  rows: unknown[][];
  fields?: ResultColumn[];
}
