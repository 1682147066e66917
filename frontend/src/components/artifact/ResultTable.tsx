// The Data tab: a virtualised table of the query result (only visible rows are in the DOM, with
// spacer rows above and below). Its downloads are the panel's (ResultNotice.tsx). Dates read by their
// grain and rates and money by their format (the result's columns); other values as they are.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef } from "react";
import type { QueryResult, ResultColumnInfo } from "@/lib/api-schemas";
import { columnFormatter } from "@/lib/format";

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });

function cell(value: unknown): string {
  if (value === null || value === undefined) return "∅";
  if (typeof value === "number") return numberFormat.format(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

const FORMATTED = new Set(["date", "datetime", "percent", "currency"]);

/** How one column's cells read: by its format when it has one worth showing, else as they are. */
function cellsOf(
  data: QueryResult,
  j: number,
  column: ResultColumnInfo | undefined,
): (value: unknown) => string {
  if (!column || !FORMATTED.has(column.format)) return cell;
  const format = columnFormatter(
    data.rows.map((row) => row[j]),
    column,
  );
  return (value) => (value === null || value === undefined ? cell(value) : format(value));
}

const ROW_HEIGHT = 28;
const NO_COLUMNS: ResultColumnInfo[] = [];

export function ResultTable({
  data,
  columns = NO_COLUMNS,
}: {
  data: QueryResult;
  columns?: ResultColumnInfo[];
}) {
  const parent = useRef<HTMLDivElement>(null);
  const cells = useMemo(
    () =>
      data.columns.map((name, j) =>
        cellsOf(
          data,
          j,
          columns.find((c) => c.name === name),
        ),
      ),
    [data, columns],
  );
  const virtualizer = useVirtualizer({
    count: data.rows.length,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const before = items[0]?.start ?? 0;
  const after = virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  const span = Math.max(1, data.columns.length);
  return (
    <div className="flex h-full flex-col gap-2">
      <div className="flex items-center justify-between text-sm text-muted-foreground">
        <span data-testid="data-summary">
          {data.rows.length.toLocaleString()} rows · {data.columns.length} columns
        </span>
      </div>
      <div ref={parent} className="min-h-0 flex-1 overflow-auto rounded-md border" data-testid="data-table">
        <table className="w-full border-collapse text-xs">
          <thead className="sticky top-0 z-10 bg-muted">
            <tr>
              {data.columns.map((c) => (
                <th key={c} className="whitespace-nowrap px-2 py-1.5 text-left font-semibold">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {before > 0 ? (
              <tr>
                <td colSpan={span} style={{ height: before, padding: 0 }} />
              </tr>
            ) : null}
            {items.map((item) => {
              const row = data.rows[item.index] ?? [];
              return (
                <tr key={item.key} className="border-b" style={{ height: ROW_HEIGHT }}>
                  {data.columns.map((c, j) => (
                    <td
                      key={c}
                      className={
                        typeof row[j] === "number"
                          ? "whitespace-nowrap px-2 text-right tabular-nums"
                          : "max-w-xs truncate whitespace-nowrap px-2"
                      }
                    >
                      {(cells[j] ?? cell)(row[j])}
                    </td>
                  ))}
                </tr>
              );
            })}
            {after > 0 ? (
              <tr>
                <td colSpan={span} style={{ height: after, padding: 0 }} />
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </div>
  );
}
