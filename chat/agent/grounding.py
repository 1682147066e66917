"""What a language model is told about the data, from the semantic catalog: tables with their
descriptions and row counts, columns with type, role, readable name, synonyms, description and
sample values, join conditions, and the business metrics. On a big catalog only the tables the
question is about (and those joining them) are described in full. The catalog handed in is the
visible one: hidden columns never appear here. Sample values are data, and stay out when
VIZORCH_LLM_SEND_SAMPLES=0."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from executors.catalog.model import Metric, Relationship, SemanticCatalog, SemanticTable

PROMPT_SAMPLES = 8
SAMPLE_ROLES = {"dimension", "geography", "time"}
_WORD = re.compile(r"[a-z0-9]+")


def catalog_text(
    catalog: SemanticCatalog, *, question: str = "", send_samples: bool, budget: int
) -> str:
    tables, others = relevant_tables(catalog, question, budget)
    names = {t.name for t in tables}
    parts = ["\n".join(table_lines(t, send_samples=send_samples)) for t in tables]
    if others:
        parts.append(
            "Other tables (call describe_table for their columns): "
            + ", ".join(t.name for t in others)
        )
    joins = [r for r in catalog.relationships if r.from_table in names and r.to_table in names]
    if joins:
        parts.append("Joins (use exactly these conditions):\n" + "\n".join(map(join_line, joins)))
    metrics = [m for m in catalog.metrics if m.table in names] or []
    if metrics:
        parts.append(
            "Business metrics (when a question names one, use its definition):\n"
            + "\n".join(map(metric_line, metrics))
        )
    return "\n\n".join(parts) or "(no tables)"


def table_lines(table: SemanticTable, *, send_samples: bool) -> list[str]:
    head = f"- {table.name}"
    if table.label and table.label != table.name:
        head += f" ({table.label})"
    if table.description:
        head += f": {table.description}"
    facts = []
    if table.row_count is not None:
        facts.append(f"{table.row_count:,} rows")
    if table.synonyms:
        facts.append("also called " + ", ".join(table.synonyms))
    if table.primary_key:
        facts.append("key " + ", ".join(table.primary_key))
    if facts:
        head += f" [{'; '.join(facts)}]"
    lines = [head]
    for column in table.columns:
        text = f"    {column.name} {column.type} -- {column.role}"
        if column.label and column.label.replace(" ", "_").lower() != column.name.lower():
            text += f", '{column.label}'"
        if column.time_part:
            text += f", {column.time_part} number"
        if column.default_aggregation not in ("none", "count_distinct"):
            text += f", aggregate with {column.default_aggregation.upper()}"
        if column.format in ("currency", "percent"):
            text += f", a {column.format}"
        if column.synonyms:
            text += "; also called " + ", ".join(column.synonyms)
        if column.description:
            text += f"; {column.description}"
        if send_samples:
            text += _values(column.role, column.sample_values, column.min, column.max)
        lines.append(text)
    return lines


def _values(role: str, samples: Sequence[str], low: str | None, high: str | None) -> str:
    if role == "time" and low is not None and high is not None:
        return f"; from {low} to {high}"
    if role in SAMPLE_ROLES and samples:
        shown = ", ".join(samples[:PROMPT_SAMPLES])
        more = ", ..." if len(samples) > PROMPT_SAMPLES else ""
        return f"; values: {shown}{more}"
    return ""


def join_line(relationship: Relationship) -> str:
    kind = relationship.cardinality.replace("_", " ")
    return f"- {relationship.join_condition} ({kind})"


def metric_line(metric: Metric) -> str:
    text = f"- {metric.name}"
    if metric.synonyms:
        text += f" (also: {', '.join(metric.synonyms)})"
    text += f" = {metric.expression}  [over {metric.table}"
    text += f", a {metric.format}]" if metric.format in ("currency", "percent") else "]"
    if metric.description:
        text += f" -- {metric.description}"
    return text


def listing(catalog: SemanticCatalog) -> str:
    """Every table in one line each (list_tables), then the joins and the metric names."""
    lines = []
    for table in catalog.tables:
        line = f"{table.name}({', '.join(c.name + ' ' + c.type for c in table.columns)})"
        if table.description:
            line += f" -- {table.description}"
        lines.append(line)
    if catalog.relationships:
        lines.append("Joins: " + "; ".join(r.join_condition for r in catalog.relationships))
    if catalog.metrics:
        lines.append("Metrics: " + "; ".join(f"{m.name} = {m.expression}" for m in catalog.metrics))
    return "\n".join(lines) or "(no tables)"


def describe(catalog: SemanticCatalog, name: str, *, send_samples: bool) -> str | None:
    """One table in full (describe_table): its columns, the joins it takes part in and the
    metrics over it; None when there is no such table."""
    wanted = name.strip().strip('"').lower()
    table = next(
        (
            t
            for t in catalog.tables
            if t.name.lower() == wanted or t.name.lower().endswith(f".{wanted}")
        ),
        None,
    )
    if table is None:
        return None
    lines = table_lines(table, send_samples=send_samples)
    joins = [r for r in catalog.relationships if table.name in (r.from_table, r.to_table)]
    if joins:
        lines.append("Joins:")
        lines += [join_line(r) for r in joins]
    metrics = [m for m in catalog.metrics if m.table == table.name]
    if metrics:
        lines.append("Metrics:")
        lines += [metric_line(m) for m in metrics]
    if table.sampled_rows:
        lines.append(f"(statistics from a sample of {table.sampled_rows:,} rows)")
    return "\n".join(lines)


def relevant_tables(
    catalog: SemanticCatalog, question: str, budget: int
) -> tuple[list[SemanticTable], list[SemanticTable]]:
    """All tables when they fit the budget; else the ones the question's words point at (names,
    labels, synonyms, sample values, metrics), plus the tables that join them, up to `budget`.
    Returns (described, others) in catalog order."""
    tables = list(catalog.tables)
    if len(tables) <= budget:
        return tables, []
    words = set(_WORD.findall(question.lower()))
    scores = {t.name: _score(t, words) for t in tables}
    for metric in catalog.metrics:
        if _mentions(words, [metric.name, *metric.synonyms]):
            scores[metric.table] = scores.get(metric.table, 0) + 3
    ranked = sorted((t for t in tables if scores[t.name] > 0), key=lambda t: -scores[t.name])
    chosen = {t.name for t in ranked[:budget]}
    for relationship in catalog.relationships:
        if len(chosen) >= budget:
            break
        ends = {relationship.from_table, relationship.to_table}
        if ends & chosen and not ends <= chosen:
            chosen |= ends
    if not chosen:
        chosen = {t.name for t in tables[:budget]}
    described = [t for t in tables if t.name in chosen]
    return described, [t for t in tables if t.name not in chosen]


def _score(table: SemanticTable, words: set[str]) -> int:
    score = 3 * _mentions(words, [table.name, table.label, *table.synonyms])
    for column in table.columns:
        score += 2 * _mentions(words, [column.name, column.label, *column.synonyms])
        score += _mentions(words, column.sample_values[:20])
    return score


def _mentions(words: set[str], phrases: Iterable[str]) -> int:
    """How many of `phrases` appear in the question: every word of the phrase (singular or
    plural) is one of the question's words."""
    said = words | {_singular(w) for w in words}
    found = 0
    for phrase in phrases:
        parts = {_singular(p) for p in _WORD.findall(phrase.lower().replace("_", " "))}
        if parts and parts <= said:
            found += 1
    return found


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
