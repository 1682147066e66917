// The offline analyst's table, for answers with no axis to draw on.

import { DataTable } from "@vizorch/kit";
import type React from "react";

type QueryResult = { columns: string[]; rows: unknown[][] };
type Params = Record<string, unknown>;

export default function Viz({ data, params }: { data: QueryResult; params: Params }): React.ReactElement {
  const title = String(params.title ?? "");
  const topN = Number(params.top_n ?? 0);
  return (
    <div style={{ width: "100%", height: "100%" }}>
      {title ? <h3 style={{ margin: "0 0 8px", fontSize: 16, fontWeight: 600 }}>{title}</h3> : null}
      <DataTable data={data} maxRows={topN > 0 ? topN : undefined} />
    </div>
  );
}
