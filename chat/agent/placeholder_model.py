"""A tiny stand-in for the offline analyst: it answers "sales by region" questions (with a real
run_sql tool call) and writes charts for existing data, and politely declines everything else."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

SALES_BY_REGION_SQL = (
    "SELECT s.region, SUM(oi.sales) AS total_sales\n"
    "FROM order_items oi\n"
    "JOIN orders o ON o.order_id = oi.order_id\n"
    "JOIN stores s ON s.store_id = o.store_id\n"
    "GROUP BY s.region\n"
    "ORDER BY total_sales DESC"
)
DECLINE = (
    "I can't answer that offline: the placeholder model only knows total sales by region. "
    "Set VIZORCH_LLM to use a hosted or local model."
)
CHART_WORDS = ("line", "area", "pie", "bar", "table")


def chart_component(x: str, y: str, chart_type: str) -> str:
    """A Recharts component for one category column and one measure, driven by params."""
    return f"""import React, {{ useMemo }} from "react";
import {{ ResponsiveContainer, BarChart, Bar, LineChart, Line, AreaChart, Area, PieChart, Pie, Cell,
  XAxis, YAxis, CartesianGrid, Tooltip, LabelList }} from "recharts";
import {{ rowsToObjects, formatNumber, getColors, DataTable }} from "@vizorch/kit";

export default function Viz({{ data, params }}) {{
  const rows = useMemo(() => rowsToObjects(data), [data]);
  const colors = getColors(params.color_scheme);
  const kind = params.chart_type || "{chart_type}";
  if (kind === "table") return <DataTable data={{data}} />;
  const axis = <XAxis dataKey="{x}" />;
  const value = <YAxis tickFormatter={{(v) => formatNumber(v, {{ compact: true }})}} />;
  const tip = <Tooltip formatter={{(v) => formatNumber(v)}} />;
  return (
    <div style={{{{ width: "100%", height: 360 }}}}>
      <h3>{{params.title}}</h3>
      <ResponsiveContainer>
        {{kind === "line" ? (
          <LineChart data={{rows}}>{{axis}}{{value}}{{tip}}
            <Line dataKey="{y}" stroke={{colors[0]}} />
          </LineChart>
        ) : kind === "area" ? (
          <AreaChart data={{rows}}>{{axis}}{{value}}{{tip}}
            <Area dataKey="{y}" stroke={{colors[0]}} fill={{colors[0]}} />
          </AreaChart>
        ) : kind === "pie" ? (
          <PieChart>{{tip}}
            <Pie data={{rows}} dataKey="{y}" nameKey="{x}">
              {{rows.map((_, i) => <Cell key={{i}} fill={{colors[i % colors.length]}} />)}}
            </Pie>
          </PieChart>
        ) : (
          <BarChart data={{rows}}>
            <CartesianGrid strokeDasharray="3 3" />{{axis}}{{value}}{{tip}}
            <Bar dataKey="{y}" fill={{colors[0]}}>
              {{params.show_labels ? <LabelList dataKey="{y}" position="top" /> : null}}
            </Bar>
          </BarChart>
        )}}
      </ResponsiveContainer>
    </div>
  );
}}
"""


def parameters(title: str, chart_type: str) -> dict[str, Any]:
    return {
        "values": {
            "title": title,
            "chart_type": chart_type,
            "color_scheme": "default",
            "show_labels": False,
        },
        "controls": [
            {"name": "title", "kind": "text", "label": "Title"},
            {
                "name": "chart_type",
                "kind": "select",
                "label": "Chart type",
                "options": ["bar", "line", "area", "pie", "table"],
            },
            {"name": "color_scheme", "kind": "color_scheme", "label": "Colours"},
            {"name": "show_labels", "kind": "switch", "label": "Show labels"},
        ],
    }


def final_answer(sql: str | None, code: str, params: dict[str, Any], reasoning: str) -> str:
    parts = [reasoning]
    if sql:
        parts.append(f"```sql\n{sql}\n```")
    parts.append(f"```tsx\n{code}```")
    parts.append(f"```json params\n{json.dumps(params, indent=2)}\n```")
    return "\n".join(parts) + "\n"


def _chart_type(text: str, default: str = "bar") -> str:
    lowered = text.lower()
    for word in CHART_WORDS:
        if re.search(rf"\b{word}\b", lowered):
            return word
    return default


class PlaceholderModel(BaseChatModel):
    """Deterministic; speaks the agent message protocol of docs/artifact.md."""

    chunk_size: int = 48

    @property
    def _llm_type(self) -> str:
        return "vizorch-placeholder"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> PlaceholderModel:
        return self

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1]
        humans = [m for m in messages if isinstance(m, HumanMessage)]
        question = str(humans[-1].content) if humans else ""
        if isinstance(last, ToolMessage):
            text = str(last.content)
            if text.startswith("ERROR"):
                return AIMessage(content=f"The query failed and I cannot repair it offline. {text}")
            result = json.loads(text)
            names = [c["name"] for c in result["columns"]]
            chart = _chart_type(question)
            code = chart_component(names[0], names[1], chart)
            sql = _last_tool_sql(messages)
            return AIMessage(
                content=final_answer(
                    sql,
                    code,
                    parameters("Total sales by region", chart),
                    f"The query returned {result['row_count']} regions; a {chart} chart "
                    "compares them.",
                )
            )
        if question.startswith("Request:") and "Data columns:" in question:
            return self._chart_for_existing_data(question)
        lowered = question.lower()
        asks_sales_by_region = "sales" in lowered and "region" in lowered
        follows_up = any(
            isinstance(m, AIMessage) and "```sql" in str(m.content) for m in messages[:-1]
        )
        if asks_sales_by_region or (follows_up and _chart_type(question, "") != ""):
            return AIMessage(
                content="I'll total the sales of every order line by the region of its store.",
                tool_calls=[
                    {
                        "name": "run_sql",
                        "args": {"sql": SALES_BY_REGION_SQL},
                        "id": f"call_{uuid.uuid4().hex[:12]}",
                        "type": "tool_call",
                    }
                ],
            )
        return AIMessage(content=DECLINE)

    def _chart_for_existing_data(self, request: str) -> AIMessage:
        match = re.search(r"Data columns: (.*)", request)
        names = [part.split(" (")[0] for part in (match[1] if match else "").split(", ")]
        names = [n for n in names if n] or ["x", "y"]
        y = names[1] if len(names) > 1 else names[0]
        current = re.search(r'"chart_type": "(\w+)"', request)
        chart = _chart_type(request.split("\n", 1)[0], current[1] if current else "bar")
        return AIMessage(
            content=final_answer(
                None,
                chart_component(names[0], y, chart),
                parameters("Chart", chart),
                f"Here is a {chart} chart of {y} by {names[0]}.",
            )
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._reply(messages)
        text = str(reply.content)
        for start in range(0, len(text), self.chunk_size):
            piece = text[start : start + self.chunk_size]
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        for index, call in enumerate(reply.tool_calls):
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        {
                            "name": call["name"],
                            "args": json.dumps(call["args"]),
                            "id": call["id"],
                            "index": index,
                            "type": "tool_call_chunk",
                        }
                    ],
                )
            )


def _last_tool_sql(messages: list[BaseMessage]) -> str | None:
    for message in reversed(messages):
        if isinstance(message, AIMessage) and message.tool_calls:
            sql = message.tool_calls[-1]["args"].get("sql")
            return str(sql) if sql else None
    return None
