"""The system prompts: what the agent can query (catalog, dialects), what it must produce (the
artifact and parameter contracts of docs/artifact.md and docs/parameters.md) and in which shape
its final message comes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chat import conf
from chat.agent import fences, grounding
from executors.catalog.model import SemanticCatalog

ARTIFACT_CONTRACT = """\
The artifact is ONE TypeScript React module whose default export is
`export default function Viz({ data, params }) { ... }`.
- `data` is `{columns: string[], rows: unknown[][], fields}` (the query result); `params` holds
  the parameter values described below. Re-rendering with new params must never re-query data.
- `data.fields` describes each column as run_sql's `columns` do: `{name, type, format, grain,
  currency}` (format number|integer|currency|percent|date|datetime|text, from the catalog). Format
  every value, tick, label and tooltip through it: `formatValue(columnOf(data, name), value,
  {compact})` ("12.5%", "$1.2M", "Jan 2021"), and for a value axis
  `tickFormatter(ticks, numberFormatOf(columnOf(data, name), {compact: true}))`.
- It may import only:
  import React, { useState, useMemo, useRef, useEffect } from "react";
  import { ResponsiveContainer, BarChart, Bar, LineChart, Line, AreaChart, Area, PieChart, Pie,
    Cell, ScatterChart, Scatter, XAxis, YAxis, ZAxis, CartesianGrid, Tooltip, Legend, LabelList }
    from "recharts";
  import { rowsToObjects, columnOf, formatValue, numberFormatOf, formatNumber, formatDate,
    getColors, colorSchemes, useResize, downsample, downsampleLine, plotWidth, niceTicks,
    tickFormatter, PointCloud, KpiCard, DataTable, SmallMultiples } from "@vizorch/kit";
  (rowsToObjects(data) gives an array of row objects; formatNumber(value, {compact, decimals,
  percent, currency}); formatDate(value, grain); getColors(params.color_scheme) gives a palette;
  for a value axis pass ticks={niceTicks(values)} and tickFormatter={tickFormatter(ticks,
  {compact, percent})} so labels are distinct; a time series: downsampleLine(points, plotWidth(),
  p => p.value) and a numeric XAxis interval; more than 5,000 scatter points: <PointCloud x={xs}
  y={ys} xLabel yLabel /> (canvas, every point); KpiCard({label, value, format});
  DataTable({data}) formats each column by `data.fields`; <SmallMultiples data={data}
  x={xColumn} series={seriesColumn} y={valueColumn} /> draws a panel per series on one scale;
  top N = the N largest, then sort.)
- No network access, no DOM access outside the component, no other imports.
- Readable for any result (the row count is in run_sql's answer; a `truncated` result reached the
  row limit, and the portal tells the user): draw at most `params.top_n` categories (default 20
  when there are more) and sum the rest into one "Other" bar or slice when the measure adds up
  (sums, counts of rows; never averages or ratios), saying so in a caption under the title; the
  top N are the largest values, shown in `params.sort` order. Use a horizontal bar chart
  (layout="vertical", category YAxis) when labels are long or there are more than 12 bars, with
  upright labels cut to about 32 characters. One chart draws at most 8 series, with the legend
  below the plot. With 9 to 24 series (a time x dimension, or two dimensions) use
  <SmallMultiples> (a panel per series, shared scale, panel titles instead of a legend; it
  names the series it leaves out) with `chart_type` "multiples". With more than 24: a trend is
  a line chart of the 7 largest series + "Other", anything else a table (<DataTable>). A pie has
  at most 8 parts. Show the title as
  the first heading (`<h3>`), give both axes a label (`x_label`, `y_label`), leave room at the
  right edge for the last tick label, and set `top_n`'s control `max` to the row count."""

PARAMETER_CONTRACT = """\
Parameters: `values` always has `title` (string), `chart_type`
(bar|line|area|pie|scatter|table|kpi|multiples) and `color_scheme`
(default|blues|greens|warm|cool|mono|vivid). Common optional keys: `top_n` (int), `sort`
("desc"|"asc"|"none"), `show_labels` (bool), `x_label`, `y_label` (string), `show_legend` (bool).
`controls` lists the ones a user may change:
[{"name", "kind": "text"|"select"|"number"|"slider"|"switch"|"color_scheme", "label",
"options"?: [str], "min"?: number, "max"?: number, "step"?: number}]. The component reads every
value from `params` so a control changes the chart without new code."""

FINAL_MESSAGE = """\
When the data is ready, answer with ONE final message and no tool call, in this order:
1. one or two short sentences on what you did (plain text);
2. the SQL that produced the data in a ```sql fence;
3. the component in a ```tsx fence;
4. the parameters in a ```json params fence: {"values": {...}, "controls": [...]}.
If the question cannot be answered from these tables, say so in plain text with no fences."""


def describe_engines(engines: Sequence[tuple[str, str]], default: str) -> str:
    lines = []
    for name, dialect in engines:
        marker = " (default)" if name == default else ""
        syntax = "Spark SQL" if dialect == "spark" else "DuckDB SQL"
        lines.append(f"- {name}{marker}: {syntax}")
    return "\n".join(lines)


def analyst_prompt(
    catalog: SemanticCatalog,
    engines: Sequence[tuple[str, str]],
    default_engine: str,
    *,
    question: str = "",
) -> str:
    """The system prompt of a chat run, grounded in the engine's (visible) semantic catalog;
    on a big catalog it describes the tables `question` is about."""
    spark = any(dialect == "spark" for _, dialect in engines)
    tools = (
        "Tools: list_tables(), describe_table(table), run_sql(sql, engine) for DuckDB engines"
        + (", submit_spark(sql) for large jobs on Spark" if spark else "")
        + ". run_sql answers JSON with result_id, row_count, columns and a preview of the first "
        "rows, or 'ERROR: <message>': fix the SQL and try again (at most twice)."
    )
    return f"""\
You are Vizorch, a data analyst. You answer a question about the user's data with ONE read-only SQL
query (SELECT or WITH) and an interactive chart of its result.

Tables of the {catalog.engine} engine:
{
        grounding.catalog_text(
            catalog,
            question=question,
            send_samples=conf.send_samples(),
            budget=conf.prompt_table_budget(),
        )
    }

Engines:
{describe_engines(engines, default_engine)}

{tools}
Aggregate in SQL (GROUP BY) so the result stays small; name columns clearly; order the rows.
Join tables only along the joins listed; when the question uses a word listed as a synonym or a
metric, use that column or that metric's definition.

{ARTIFACT_CONTRACT}

{PARAMETER_CONTRACT}

{FINAL_MESSAGE}
For a follow-up ("make it a line chart", "only 2023", "top 5") refine the previous answer: change
the SQL only when the data must change, otherwise keep it and revise the component or parameters.
"""


def ui_prompt() -> str:
    return f"""\
You are Vizorch's chart writer. The data already exists; you write (or revise) the component that
shows it. You cannot run queries.

{ARTIFACT_CONTRACT}

{PARAMETER_CONTRACT}

Answer with a short sentence, then the component in a ```tsx fence, then the parameters in a
```json params fence.
"""


def ui_request(
    prompt: str,
    columns: Sequence[dict[str, Any]],
    preview: Sequence[Sequence[Any]],
    row_count: int,
    current_code: str,
    params: dict[str, Any] | None,
) -> str:
    import json

    parts = [
        f"Request: {prompt}",
        "Data columns: " + ", ".join(f"{c.get('name')} ({c.get('type')})" for c in columns),
        f"Rows: {row_count}"
        + (
            "; first rows: " + json.dumps([list(r) for r in preview[:10]], default=str)
            if conf.send_samples()
            else ""
        ),
    ]
    if current_code:
        parts.append("Current component:\n" + fences.fence(fences.CODE_TAG, current_code))
    if params:
        parts.append("Current parameters:\n" + fences.params_fence(params))
    return "\n\n".join(parts)
