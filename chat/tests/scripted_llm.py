"""A scripted OpenAI-compatible chat-completions server on loopback, for driving the
`openai-compatible:` provider through the real langchain-openai client. It streams chunks the way
OpenAI does (text deltas, tool-call deltas split across chunks, `[DONE]`). The script is chosen by a
marker in the user's latest message, e.g. "[slow] Show total sales by region"."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SALES_SQL = (
    "SELECT s.region, SUM(oi.sales) AS total_sales FROM order_items oi "
    "JOIN orders o ON o.order_id = oi.order_id JOIN stores s ON s.store_id = o.store_id "
    "GROUP BY s.region ORDER BY total_sales DESC"
)
BAD_SQL = "SELECT s.regionx, SUM(oi.sales) AS total_sales FROM stores s GROUP BY 1"
REFUSED_SQL = "DELETE FROM orders"
# An answer built from the catalog: the `return rate` metric's definition, joined to stores along
# the catalog's relationship.
RETURN_RATE_SQL = (
    "SELECT s.region, COUNT(DISTINCT o.order_id) FILTER (WHERE o.status = 'Returned') "
    "/ COUNT(DISTINCT o.order_id) AS return_rate FROM orders o "
    "JOIN stores s ON o.store_id = s.store_id GROUP BY s.region ORDER BY return_rate DESC"
)

# Jobs for the Spark engine (`submit_spark`), by marker: several stages (a join, then a group by),
# one that runs for hours unless stopped, and a result larger than a "small" one.
SPARK_JOBS = {
    "[spark-stages]": (
        "SELECT a.id % 7 AS bucket, count(*) AS n, sum(b.id) AS total "
        "FROM range(300000) a JOIN range(300000) b ON a.id = b.id GROUP BY 1 ORDER BY 1"
    ),
    "[spark-endless]": "SELECT count(*) AS n FROM range(1000000000000)",
    "[spark-large]": "SELECT id, id * 2 AS twice FROM range(60000)",
}

COMPONENT = """import React, { useMemo } from "react";
import { ResponsiveContainer, BarChart, Bar, XAxis, YAxis, Tooltip } from "recharts";
import { rowsToObjects, formatNumber, getColors } from "@vizorch/kit";

export default function Viz({ data, params }) {
  const rows = useMemo(() => rowsToObjects(data), [data]);
  const colors = getColors(params.color_scheme);
  return (
    <div style={{ width: "100%", height: 320 }}>
      <h3>{params.title}</h3>
      <ResponsiveContainer>
        <BarChart data={rows}>
          <XAxis dataKey="region" />
          <YAxis tickFormatter={(v) => formatNumber(v, { compact: true })} />
          <Tooltip />
          <Bar dataKey="total_sales" fill={colors[0]} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
"""
PARAMS = {
    "values": {"title": "Total sales by region", "chart_type": "bar", "color_scheme": "blues"},
    "controls": [
        {"name": "title", "kind": "text", "label": "Title"},
        {"name": "color_scheme", "kind": "color_scheme", "label": "Colours"},
        {"name": "top_n", "kind": "slider", "label": "Top N", "min": 1, "max": 10, "step": 1},
    ],
}
FINAL_TEXT = (
    "The query sums the sales of every order line per store region.\n"
    f"```sql\n{SALES_SQL}\n```\n"
    f"```tsx\n{COMPONENT}```\n"
    f"```json params\n{json.dumps(PARAMS)}\n```\n"
)

GROUNDED_TEXT = (
    FINAL_TEXT.replace(SALES_SQL, RETURN_RATE_SQL)
    .replace("total_sales", "return_rate")
    .replace("sums the sales of every order line per store region", "uses the return rate metric")
)


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


class ScriptedLLM:
    """Runs in a thread of the test process; `requests` records every request body received."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def start(self) -> ScriptedLLM:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests_with(self, marker: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if marker in _last_user_text(r)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        llm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with llm._lock:
                    llm.requests.append(body)
                # A client that goes away (a cancelled run) just stops the script.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    llm._answer(self, body)

        return Handler

    # --- scripts -------------------------------------------------------------------------------
    def _answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        question = _last_user_text(body)
        tool_results = _tool_results_since_last_user(body)
        if "[provider-error]" in question:
            payload = json.dumps(
                {"error": {"message": "scripted upstream failure", "type": "server_error"}}
            ).encode()
            handler.send_response(500)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        for chunk in self._script(question, tool_results):
            if isinstance(chunk, float):
                time.sleep(chunk)
                continue
            handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            handler.wfile.flush()
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()

    def _script(self, question: str, results: list[str]) -> Iterator[dict[str, Any] | float]:
        completion = f"chatcmpl-{uuid.uuid4().hex[:10]}"
        if "[decline]" in question:
            yield from _text(completion, "I can only chart sales data; the weather is not in it.")
            yield _finish(completion, "stop")
            return
        if "[refuse]" in question:
            yield from _text(completion, "I'll clean the table first.")
            yield from _tool_call(completion, "run_sql", {"sql": REFUSED_SQL})
            return
        if "[remote]" in question and not results:
            yield from _text(completion, "Querying the remote engine.")
            yield from _tool_call(completion, "run_sql", {"sql": SALES_SQL, "engine": "remote"})
            return
        spark_job = next((sql for marker, sql in SPARK_JOBS.items() if marker in question), None)
        if spark_job is not None and not results:
            yield from _text(completion, "Submitting a Spark job.")
            yield from _tool_call(completion, "submit_spark", {"sql": spark_job})
            return
        if spark_job is not None and results[-1].startswith("ERROR"):
            yield from _text(completion, "The Spark job did not finish.")
            yield _finish(completion, "stop")
            return
        if "[repair]" in question and not results:
            yield from _text(completion, "Let me look at regions.")
            yield from _tool_call(completion, "run_sql", {"sql": BAD_SQL})
            return
        if "[grounded]" in question and len(results) < 2:
            # Look the table up, then answer with the catalog's metric and join.
            if not results:
                yield from _text(completion, "Let me look at the orders table.")
                yield from _tool_call(completion, "describe_table", {"table": "orders"})
            else:
                yield from _text(completion, "Return rate per region, from the catalog's metric.")
                yield from _tool_call(completion, "run_sql", {"sql": RETURN_RATE_SQL})
            return
        if "[listing]" in question and not results:
            yield from _text(completion, "Which tables are there?")
            yield from _tool_call(completion, "list_tables", {})
            return
        listed_only = "[listing]" in question and len(results) < 2
        if not results or results[-1].startswith("ERROR") or listed_only:
            yield from _text(completion, "I'll total the sales by store region.")
            yield from _tool_call(completion, "run_sql", {"sql": SALES_SQL})
            return
        # The final answer: prose, the SQL echo, the component, the parameters.
        delay, size = 0.0, 24
        if "[slow]" in question:
            delay, size = 0.08, 12
        elif "[hang]" in question:
            delay, size = 0.25, 4
        elif "[pause]" in question:
            yield 2.5
        final = GROUNDED_TEXT if "[grounded]" in question else FINAL_TEXT
        if "[nul]" in question:
            # A NUL character: PostgreSQL's jsonb cannot store it, so that event's write fails.
            final = "A stray \x00 byte in this line.\n" + final
        for piece in _pieces(final, size):
            if delay:
                yield delay
            yield _delta(completion, {"content": piece})
        if "[hang]" in question:
            yield 60.0
        yield _finish(completion, "stop")


def _delta(completion: str, delta: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": completion,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "scripted",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


def _finish(completion: str, reason: str) -> dict[str, Any]:
    chunk = _delta(completion, {})
    chunk["choices"][0]["finish_reason"] = reason
    return chunk


def _text(completion: str, text: str) -> Iterator[dict[str, Any]]:
    yield _delta(completion, {"role": "assistant", "content": ""})
    for piece in _pieces(text + "\n", 10):
        yield _delta(completion, {"content": piece})


def _tool_call(completion: str, name: str, args: dict[str, Any]) -> Iterator[dict[str, Any]]:
    call_id = f"call_{uuid.uuid4().hex[:12]}"
    yield _delta(
        completion,
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": ""},
                }
            ]
        },
    )
    for piece in _pieces(json.dumps(args), 16):
        yield _delta(completion, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    yield _finish(completion, "tool_calls")


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _last_user_text(body: dict[str, Any]) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return _content(users[-1]) if users else ""


def _tool_results_since_last_user(body: dict[str, Any]) -> list[str]:
    messages = body.get("messages", [])
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    return [_content(m) for m in messages[last_user + 1 :] if m.get("role") == "tool"]
