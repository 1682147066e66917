// The offline analyst's scatter plot: one point per label, two measures against each other.
// The analyst fills SPEC with the query's column roles when it writes the component.

import { DataTable, formatNumber, getColors, PointCloud, rowsToObjects, SizedChart } from "@vizorch/kit";
import type React from "react";
import { useMemo } from "react";
import { CartesianGrid, LabelList, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from "recharts";

type Spec = { label: string | null; x: string; y: string; percent: string[] };
type QueryResult = { columns: string[]; rows: unknown[][] };
type Params = Record<string, unknown>;
type Point = { x: number; y: number; name: string };

// analyst:spec
const SPEC: Spec = { label: "name", x: "first", y: "second", percent: [] };
// analyst:end
const MAX_POINTS = 5000;

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function formatValue(column: string, value: unknown, compact = true): string {
  const n = toNumber(value);
  if (n === null) return "\u2013";
  return formatNumber(n, { compact, percent: SPEC.percent.includes(column) });
}

function Frame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div style={{ width: "100%", height: "100%", minHeight: 320, display: "flex", flexDirection: "column" }}>
      {title ? <h3 style={{ margin: "0 0 8px", fontSize: 16, fontWeight: 600 }}>{title}</h3> : null}
      <div style={{ flex: 1, minHeight: 280 }}>{children}</div>
    </div>
  );
}

function PointTip({ active, payload }: { active?: boolean; payload?: ReadonlyArray<{ payload?: unknown }> }) {
  const point = active ? (payload?.[0]?.payload as Point | undefined) : undefined;
  if (!point) return null;
  return (
    <div
      style={{
        background: "white",
        border: "1px solid #ddd",
        borderRadius: 4,
        padding: "6px 8px",
        fontSize: 12,
      }}
    >
      {point.name ? <div style={{ fontWeight: 600 }}>{point.name}</div> : null}
      <div>
        {SPEC.x}: {formatValue(SPEC.x, point.x, false)}
      </div>
      <div>
        {SPEC.y}: {formatValue(SPEC.y, point.y, false)}
      </div>
    </div>
  );
}

export default function Viz({ data, params }: { data: QueryResult; params: Params }) {
  const chartType = String(params.chart_type ?? "scatter");
  const title = String(params.title ?? "");
  const colors = getColors(String(params.color_scheme ?? "default"));
  const showLabels = Boolean(params.show_labels);
  const xLabel = params.x_label ? String(params.x_label) : SPEC.x;
  const yLabel = params.y_label ? String(params.y_label) : SPEC.y;

  const points = useMemo(() => {
    const out: Point[] = [];
    for (const row of rowsToObjects(data)) {
      const x = toNumber(row[SPEC.x]);
      const y = toNumber(row[SPEC.y]);
      if (x === null || y === null) continue;
      out.push({ x, y, name: SPEC.label ? String(row[SPEC.label]) : "" });
    }
    return out;
  }, [data]);
  // Past a few thousand points the cloud is drawn on a canvas (the kit's PointCloud), every point.
  const cloud = useMemo(
    () => (points.length > MAX_POINTS ? { x: points.map((p) => p.x), y: points.map((p) => p.y) } : null),
    [points],
  );

  if (chartType === "table") {
    return (
      <Frame title={title}>
        <DataTable data={data} />
      </Frame>
    );
  }
  if (points.length === 0) {
    return (
      <Frame title={title}>
        <div style={{ padding: 24, opacity: 0.7 }}>No rows match this question.</div>
      </Frame>
    );
  }
  if (cloud) {
    return (
      <Frame title={title}>
        <PointCloud
          x={cloud.x}
          y={cloud.y}
          xLabel={xLabel}
          yLabel={yLabel}
          color={colors[0]}
          xFormat={{ percent: SPEC.percent.includes(SPEC.x) }}
          yFormat={{ percent: SPEC.percent.includes(SPEC.y) }}
        />
      </Frame>
    );
  }
  return (
    <Frame title={title}>
      <SizedChart>
        <ScatterChart margin={{ top: 20, right: 24, bottom: 24, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis
            type="number"
            dataKey="x"
            name={SPEC.x}
            tickFormatter={(v: unknown) => formatValue(SPEC.x, v)}
            label={{ value: xLabel, position: "insideBottom", offset: -16 }}
          />
          <YAxis
            type="number"
            dataKey="y"
            name={SPEC.y}
            width={72}
            tickFormatter={(v: unknown) => formatValue(SPEC.y, v)}
            label={{ value: yLabel, angle: -90, position: "insideLeft" }}
          />
          <Tooltip cursor={{ strokeDasharray: "3 3" }} content={PointTip} />
          <Scatter data={points} fill={colors[0]} fillOpacity={0.75} isAnimationActive={points.length <= 500}>
            {showLabels ? <LabelList dataKey="name" position="top" /> : null}
          </Scatter>
        </ScatterChart>
      </SizedChart>
    </Frame>
  );
}
