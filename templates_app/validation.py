"""Content checks every template passes, whether saved from the portal or bulk-imported: SQL the
guard accepts (parsed, never run), UI code that default-exports a component and fits the size
limit, parameters that are a small JSON object, and a data URL that points at our data endpoint."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings

from executors.errors import SqlRefused
from executors.guard import check_statement

MAX_PROMPT_CHARS = 20_000
MAX_SQL_BYTES = 100_000
MAX_CODE_BYTES = 200_000
MAX_PARAMETERS_BYTES = 64_000
MAX_JSON_DEPTH = 32
MAX_TITLE_CHARS = 200
MAX_DESCRIPTION_CHARS = 5_000
MAX_TAGS = 20
MAX_TAG_CHARS = 50

DEFAULT_EXPORT = re.compile(
    r"^\s*export\s+default\s+(?:async\s+)?(?:function\b|class\b|\(|[A-Za-z_$][\w$]*)",
    re.MULTILINE,
)
DATA_URL = re.compile(r"^/api/data/(?P<id>[A-Za-z0-9_-]{1,64})$")
ENGINE_NAME = re.compile(r"^[A-Za-z0-9_.-]{0,64}$")


def limit(name: str, default: int) -> int:
    """A size limit, overridable in settings as VIZORCH_TEMPLATE_<NAME>."""
    return int(getattr(settings, f"VIZORCH_TEMPLATE_{name}", default))


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return deepest


def sql_problems(sql: str, data_source: str) -> list[str]:
    size = len(sql.encode())
    max_bytes = limit("MAX_SQL_BYTES", MAX_SQL_BYTES)
    if size > max_bytes:
        return [f"generated_sql is {size} bytes; the limit is {max_bytes}"]
    try:
        check_statement(sql, dialect="spark" if data_source == "spark" else "duckdb")
    except SqlRefused as exc:
        return [f"generated_sql refused by the SQL guard: {exc.message}"]
    except Exception as exc:  # a parser crash on hostile input is still a refusal
        return [f"generated_sql could not be checked: {type(exc).__name__}: {exc}"]
    return []


def ui_code_problems(code: str) -> list[str]:
    size = len(code.encode())
    max_bytes = limit("MAX_CODE_BYTES", MAX_CODE_BYTES)
    if size > max_bytes:
        return [f"ui_code is {size} bytes; the limit is {max_bytes}"]
    if not DEFAULT_EXPORT.search(code):
        return [
            "ui_code must default-export a component "
            "(export default function Viz({ data, params }) { ... })"
        ]
    return []


def parameters_problems(parameters: Any) -> list[str]:
    if not isinstance(parameters, dict):
        return ["parameters must be a JSON object"]
    depth = json_depth(parameters)
    max_depth = limit("MAX_JSON_DEPTH", MAX_JSON_DEPTH)
    if depth > max_depth:
        return [f"parameters are nested {depth} levels deep; the limit is {max_depth}"]
    size = len(json.dumps(parameters, ensure_ascii=False).encode())
    max_bytes = limit("MAX_PARAMETERS_BYTES", MAX_PARAMETERS_BYTES)
    if size > max_bytes:
        return [f"parameters are {size} bytes of JSON; the limit is {max_bytes}"]
    return []


def data_url_problems(data_url: str | None) -> list[str]:
    if data_url is None or DATA_URL.match(data_url):
        return []
    return ["data_url must be null or /api/data/<result id>"]


def result_id_of(data_url: str | None) -> str:
    match = DATA_URL.match(data_url or "")
    return match["id"] if match else ""


def text_problems(
    *,
    prompt: str | None = None,
    title: str | None = None,
    description: str | None = None,
    tags: list[str] | None = None,
    engine: str | None = None,
) -> list[str]:
    problems = []
    if prompt is not None:
        if not prompt.strip():
            problems.append("prompt must not be empty")
        elif len(prompt) > limit("MAX_PROMPT_CHARS", MAX_PROMPT_CHARS):
            problems.append(f"prompt is longer than {MAX_PROMPT_CHARS} characters")
    if title is not None and not (0 < len(title.strip()) <= MAX_TITLE_CHARS):
        problems.append(f"title must be 1 to {MAX_TITLE_CHARS} characters")
    if description is not None and len(description) > MAX_DESCRIPTION_CHARS:
        problems.append(f"description is longer than {MAX_DESCRIPTION_CHARS} characters")
    if tags is not None:
        if len(tags) > MAX_TAGS:
            problems.append(f"at most {MAX_TAGS} tags")
        if any(not tag.strip() or len(tag) > MAX_TAG_CHARS for tag in tags):
            problems.append(f"each tag must be 1 to {MAX_TAG_CHARS} characters")
    if engine is not None and not ENGINE_NAME.match(engine):
        problems.append("engine must be a name of letters, digits, '_', '-' or '.'")
    return problems


def content_problems(fields: dict[str, Any]) -> list[str]:
    """Every problem with the template fields present in `fields` (a partial update checks only
    what it changes, against the data source it will have)."""
    problems = text_problems(
        prompt=fields.get("prompt"),
        title=fields.get("title"),
        description=fields.get("description"),
        tags=fields.get("tags"),
        engine=fields.get("engine"),
    )
    if "generated_sql" in fields:
        problems += sql_problems(fields["generated_sql"], fields.get("data_source", "duckdb"))
    if "ui_code" in fields:
        problems += ui_code_problems(fields["ui_code"])
    if "parameters" in fields:
        problems += parameters_problems(fields["parameters"])
    if "data_url" in fields:
        problems += data_url_problems(fields["data_url"])
    return problems
