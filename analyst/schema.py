"""The semantic catalog as the analyst reads it: columns with their kinds, the join graph of its
relationships (each edge points from the many side to the one side), entity keys, label columns,
metrics, and every phrase a question may use for them (names, labels, synonyms, sample values)."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property

from analyst.vocabulary import normalize, plural, singular, split_identifier
from executors.catalog.model import SemanticCatalog, SemanticColumn, SemanticTable

_NUMERIC = re.compile(r"INT|DOUBLE|DECIMAL|FLOAT|REAL|NUMERIC|HUGEINT|BIGINT", re.I)
_TEXT = re.compile(r"CHAR|TEXT|STRING", re.I)
_SIMPLE_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Key words DuckDB does not accept as bare column names.
RESERVED = frozenset(
    [
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "default",
        "deferrable",
        "desc",
        "describe",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "pivot",
        "placing",
        "primary",
        "qualify",
        "references",
        "returning",
        "select",
        "show",
        "some",
        "summarize",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "unpivot",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ]
)
# A table's own column prefix (TPC-H's `l_`, `o_`): one to three letters and an underscore.
_PREFIX = re.compile(r"^([a-z]{1,3})_", re.I)


def quote(name: str) -> str:
    if _SIMPLE_IDENT.match(name) and name.lower() not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Col:
    table: str
    name: str
    type: str
    role: str
    label: str
    synonyms: tuple[str, ...] = ()
    aggregation: str = "none"
    format: str = "text"
    time_part: str | None = None
    unique: bool = False
    distinct_count: int | None = None
    samples: tuple[str, ...] = ()
    description: str = ""

    @property
    def is_numeric(self) -> bool:
        return bool(_NUMERIC.search(self.type))

    @property
    def is_date(self) -> bool:
        t = self.type.upper()
        return t.startswith(("DATE", "TIMESTAMP"))

    @property
    def is_text(self) -> bool:
        return bool(_TEXT.search(self.type))

    @property
    def is_time(self) -> bool:
        return self.is_date or (self.time_part is not None and self.is_numeric)

    @property
    def is_key(self) -> bool:
        return self.role == "identifier"

    @property
    def is_measure(self) -> bool:
        return self.is_numeric and self.role == "measure"

    @property
    def is_groupable(self) -> bool:
        """A column a question may group or filter by."""
        if self.role in ("dimension", "geography"):
            return True
        if self.role == "identifier" and self.is_text:
            return True
        return self.role == "text" and self.is_text and bool(self.samples)

    @property
    def fully_sampled(self) -> bool:
        """Its samples are every value it holds, so a value missing from them is not there."""
        return self.distinct_count is not None and len(self.samples) >= self.distinct_count

    @property
    def ref(self) -> tuple[str, str]:
        return (self.table, self.name)


@dataclass(frozen=True)
class Met:
    """A curated metric: a SQL aggregate over `table`, naming other tables as `table.column`."""

    name: str
    expression: str
    table: str
    synonyms: tuple[str, ...] = ()
    format: str = "number"
    description: str = ""


@dataclass(frozen=True)
class Edge:
    """A many-to-one link: `src.src_col` references `dst.dst_col` (a key of `dst`)."""

    src: str
    src_col: str
    dst: str
    dst_col: str


@dataclass
class Table:
    name: str
    label: str
    synonyms: tuple[str, ...]
    columns: list[Col]
    key: Col | None
    row_count: int | None
    prefix: str = ""
    description: str = ""

    def column(self, name: str) -> Col | None:
        return next((c for c in self.columns if c.name == name), None)

    @cached_property
    def label_column(self) -> Col | None:
        """The column that names one row (`name`, `title`), else its key."""
        named = [
            c
            for c in self.columns
            if c.is_text
            and {"name", "title"} & set(split_identifier(_strip(c.name, self.prefix)))
            and c.role != "text"
        ]
        if named:
            return min(named, key=lambda c: (not c.unique, len(c.name)))
        return self.key

    @property
    def singular(self) -> str:
        return " ".join(singular(w) for w in normalize(self.label).split()) or self.name

    @property
    def plural(self) -> str:
        words = normalize(self.label).split()
        if not words:
            return self.name
        return " ".join([*words[:-1], plural(singular(words[-1]))])


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix) :] if prefix and name.lower().startswith(prefix) else name


def _prefix_of(columns: list[SemanticColumn]) -> str:
    if len(columns) < 2:
        return ""
    found = {m.group(0).lower() if (m := _PREFIX.match(c.name)) else "" for c in columns}
    return found.pop() if len(found) == 1 else ""


@dataclass(frozen=True)
class Phrase:
    """Words a question may use (normalised, singular) for one thing of the catalog."""

    tokens: tuple[str, ...]
    kind: str  # "table" | "column" | "metric" | "value"
    target: object
    # 0 a curated or exact name; 1 a derived name (label, table + column); 2 a sample value.
    rank: int = 0


@dataclass
class Schema:
    catalog: SemanticCatalog
    tables: dict[str, Table] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    metrics: list[Met] = field(default_factory=list)

    @classmethod
    def from_catalog(cls, catalog: SemanticCatalog) -> Schema:
        schema = cls(catalog)
        for t in catalog.tables:
            if t.hidden:
                continue
            schema.tables[t.name] = _table(t)
        for rel in catalog.relationships:
            if (
                rel.stale
                or rel.from_table not in schema.tables
                or rel.to_table not in schema.tables
            ):
                continue
            src = schema.tables[rel.from_table].column(rel.from_column)
            dst = schema.tables[rel.to_table].column(rel.to_column)
            if src is None or dst is None:
                continue
            edge = Edge(rel.from_table, rel.from_column, rel.to_table, rel.to_column)
            reverse = Edge(rel.to_table, rel.to_column, rel.from_table, rel.from_column)
            if rel.cardinality == "many_to_one":
                schema.edges.append(edge)
            elif rel.cardinality == "one_to_many":
                schema.edges.append(reverse)
            elif rel.cardinality == "one_to_one":
                schema.edges += [edge, reverse]
        schema.edges = list(dict.fromkeys(e for e in schema.edges if e.src != e.dst))
        schema.metrics = [
            Met(m.name, m.expression, m.table, tuple(m.synonyms), m.format, m.description)
            for m in catalog.metrics
            if not m.stale and m.table in schema.tables
        ]
        schema.aliases = _aliases(list(schema.tables))
        return schema

    # --- lookups ---------------------------------------------------------------------------
    def column(self, table: str, name: str) -> Col | None:
        t = self.tables.get(table)
        return t.column(name) if t else None

    def all_columns(self) -> list[Col]:
        return [c for t in self.tables.values() for c in t.columns]

    def ref(self, col: Col) -> str:
        """The column in SQL: its table's alias and its (quoted) name."""
        return f"{self.aliases[col.table]}.{quote(col.name)}"

    def from_item(self, table: str) -> str:
        alias = self.aliases[table]
        written = ".".join(quote(part) for part in table.split("."))
        return written if written == alias else f"{written} AS {alias}"

    # --- the join graph --------------------------------------------------------------------
    def many_to_one(self, table: str) -> dict[str, int]:
        """Tables reachable from `table` by following references, with their distance: joining
        them never multiplies `table`'s rows."""
        seen = {table: 0}
        queue = deque([table])
        while queue:
            cur = queue.popleft()
            for e in self.edges:
                if e.src == cur and e.dst not in seen:
                    seen[e.dst] = seen[cur] + 1
                    queue.append(e.dst)
        return seen

    def path(self, start: str, goal: str) -> list[Edge] | None:
        """The shortest chain of references from `start` to `goal`."""
        if start == goal:
            return []
        prev: dict[str, Edge] = {}
        queue = deque([start])
        while queue:
            cur = queue.popleft()
            for e in self.edges:
                if e.src != cur or e.dst in prev or e.dst == start:
                    continue
                prev[e.dst] = e
                if e.dst == goal:
                    out = [e]
                    while out[0].src != start:
                        out.insert(0, prev[out[0].src])
                    return out
                queue.append(e.dst)
        return None

    def referencing(self, table: str) -> list[Edge]:
        return [e for e in self.edges if e.dst == table]

    def time_columns(self, table: str) -> list[Col]:
        """The table's time axes: each date or timestamp, and its year/month/day integer columns
        as one axis (named by the year column)."""
        cols = self.tables[table].columns
        dates = [c for c in cols if c.is_date and c.role in ("time", "dimension")] or [
            c for c in cols if c.is_date
        ]
        years = [c for c in cols if c.time_part == "year" and c.is_numeric]
        return dates + years[:1]

    # --- phrases ---------------------------------------------------------------------------
    @cached_property
    def phrases(self) -> list[Phrase]:
        out: list[Phrase] = []

        def add(text: str, kind: str, target: object, rank: int) -> None:
            tokens = tuple(singular(w) for w in normalize(text).split())
            if tokens:
                out.append(Phrase(tokens, kind, target, rank))

        for t in self.tables.values():
            leaf = t.name.rsplit(".", 1)[-1]
            for text in (leaf, " ".join(split_identifier(leaf)), t.label):
                add(text, "table", t.name, 0)
            for text in t.synonyms:
                add(text, "table", t.name, 0)
            for c in t.columns:
                stripped = _strip(c.name, t.prefix)
                names = {c.name, " ".join(split_identifier(stripped)), c.label}
                for text in names:
                    add(text, "column", c, 0)
                    add(f"{t.singular} {text}", "column", c, 1)
                for text in c.synonyms:
                    add(text, "column", c, 0)
                # The label's head noun ("price" of "extended price") and its words before a
                # preposition ("weight" of "weight in lbs"): weaker, often shared, so the rest
                # of the question decides between the columns they fit.
                words = normalize(c.label).split()
                if len(words) > 1:
                    add(words[-1], "column", c, 3)
                    for i, w in enumerate(words[1:], start=1):
                        if w in ("in", "per", "of", "for"):
                            add(" ".join(words[:i]), "column", c, 3)
                            break
                if c.is_text and (c.role != "text" or c.fully_sampled):
                    for v in c.samples:
                        add(v, "value", (c, v), 2)
                        if "&" in v:
                            add(v.replace("&", "and"), "value", (c, v), 2)
        for m in self.metrics:
            add(m.name, "metric", m, 0)
            for text in m.synonyms:
                add(text, "metric", m, 0)
        return out

    @cached_property
    def words(self) -> frozenset[str]:
        """Every word naming a table, column or metric: typos are corrected towards these (never
        towards a value: "Paris" must not become a "Pantry" filter)."""
        singulars = {w for p in self.phrases if p.kind != "value" for w in p.tokens}
        return frozenset(singulars | {plural(w) for w in singulars})

    @cached_property
    def value_words(self) -> frozenset[str]:
        return frozenset(
            w
            for p in self.phrases
            if p.kind == "value"
            for w in normalize(" ".join(p.tokens)).split()
        ) | frozenset(
            w for c in self.all_columns() for v in c.samples for w in normalize(v).split()
        )


def _table(t: SemanticTable) -> Table:
    prefix = _prefix_of(t.columns)
    cols = [_column(t.name, c) for c in t.columns if not c.hidden]
    by_name = {c.name: c for c in cols}
    key = None
    if len(t.primary_key) == 1 and t.primary_key[0] in by_name:
        key = by_name[t.primary_key[0]]
    if key is None:
        unique_ids = [c for c in cols if c.role == "identifier" and c.unique]
        key = unique_ids[0] if unique_ids else None
    return Table(
        name=t.name,
        label=t.label or " ".join(split_identifier(t.name.rsplit(".", 1)[-1])),
        synonyms=tuple(t.synonyms),
        columns=cols,
        key=key,
        row_count=t.row_count,
        prefix=prefix,
        description=t.description,
    )


def _column(table: str, c: SemanticColumn) -> Col:
    return Col(
        table=table,
        name=c.name,
        type=c.type,
        role=c.role,
        label=c.label or " ".join(split_identifier(c.name)),
        synonyms=tuple(c.synonyms),
        aggregation=c.default_aggregation,
        format=c.format,
        time_part=c.time_part,
        unique=c.unique,
        distinct_count=c.distinct_count,
        samples=tuple(str(v) for v in c.sample_values),
        description=c.description,
    )


def _aliases(tables: list[str]) -> dict[str, str]:
    """Each table is written under its own (last) name, so metric expressions that name
    `table.column` read as they are; a clash gets a number."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in tables:
        leaf = name.rsplit(".", 1)[-1]
        base = leaf if _SIMPLE_IDENT.match(leaf) and leaf.lower() not in RESERVED else "t"
        alias, n = base, 2
        while alias.lower() in used:
            alias, n = f"{base}_{n}", n + 1
        used.add(alias.lower())
        out[name] = alias
    return out


_SCHEMAS: dict[int, Schema] = {}


def schema_for(catalog: SemanticCatalog) -> Schema:
    """The schema of a catalog, built once per catalog object: the catalog's selectors hand every
    run the same object until the catalog changes, and building the schema (and the lexicon over
    it, analyst/intent.py) was a tenth of a run's time. A schema is not changed once built."""
    schema = _SCHEMAS.get(id(catalog))
    if schema is None or schema.catalog is not catalog:
        if len(_SCHEMAS) > 16:
            _SCHEMAS.clear()
        schema = _SCHEMAS[id(catalog)] = Schema.from_catalog(catalog)
    return schema
