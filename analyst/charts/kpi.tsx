// The offline analyst's card for a question with one number as its answer. The analyst fills
// SPEC with the query's value column when it writes the component.

import { columnOf, DataTable, KpiCard, numberFormatOf, type ResultColumn, rowsToObjects } from "@vizorch/kit";
import type React from "react";

type Spec = { value: string };
// `fields`: what each column is (type, format, grain); the number reads as its column does.
type QueryResult = { columns: string[]; rows: unknown[][]; fields?: ResultColumn[] };
type Params = Record<string, unknown>;

// analyst:spec
const SPEC: Spec = { value: "value" };
// analyst:end

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

export default function Viz({ data, params }: { data: QueryResult; params: Params }): React.ReactElement {
  const chartType = String(params.chart_type ?? "kpi");
  const title = String(params.title ?? "");
  if (chartType === "table") {
    return (
      <div style={{ width: "100%", height: "100%" }}>
        {title ? <h3 style={{ margin: "0 0 8px", fontSize: 16, fontWeight: 600 }}>{title}</h3> : null}
        <DataTable data={data} />
      </div>
    );
  }
  const row = rowsToObjects(data)[0];
  const value = row ? toNumber(row[SPEC.value]) : null;
  return (
    <div
      style={{
        width: "100%",
        height: "100%",
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
      }}
    >
      <KpiCard label={title} value={value ?? "\u2013"} format={numberFormatOf(columnOf(data, SPEC.value))} />
    </div>
  );
}
