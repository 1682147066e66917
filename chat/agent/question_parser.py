"""Turns a plain-language question into a structured analytical intent, using only the catalog
(tables, columns, sample values) and the business vocabulary of docs/demo-data.md. The offline model
builds SQL and a chart from the intent; anything it cannot place is reported, never guessed."""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

Grain = Literal["day", "week", "month", "quarter", "year"]
ChartType = Literal["bar", "line", "area", "pie", "scatter", "table", "kpi"]
Agg = Literal["sum", "avg", "min", "max", "ratio", "count_entity"]


# --------------------------------------------------------------------------------------------
# Catalog input


class ColumnLike(Protocol):
    name: str
    type: str
    sample_values: list[str]


class TableLike(Protocol):
    name: str
    columns: list[ColumnLike]


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    type: str
    samples: tuple[str, ...] = ()

    @property
    def is_numeric(self) -> bool:
        t = self.type.upper()
        return any(k in t for k in ("INT", "DOUBLE", "DECIMAL", "FLOAT", "REAL", "NUMERIC"))

    @property
    def is_date(self) -> bool:
        t = self.type.upper()
        return t.startswith("DATE") or t.startswith("TIMESTAMP")

    @property
    def is_text(self) -> bool:
        t = self.type.upper()
        return "CHAR" in t or "TEXT" in t or t == "STRING"

    @property
    def is_key(self) -> bool:
        return self.name == "id" or self.name.endswith("_id")


@dataclass(frozen=True)
class Edge:
    """A many-to-one link: `src.src_col` references `dst.dst_col` (the key of `dst`)."""

    src: str
    src_col: str
    dst: str
    dst_col: str


def singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


class Schema:
    """The catalog as the parser and the SQL builder need it: columns, keys, joins, values and
    synonyms. Declared keys are used when the catalog has them, else `x_id` names are matched."""

    def __init__(self, tables: Sequence[TableLike]) -> None:
        self.tables: dict[str, list[Column]] = {}
        self.table_synonyms: dict[str, list[str]] = {}
        self.column_synonyms: dict[tuple[str, str], list[str]] = {}
        self.pk: dict[str, str] = {}
        declared: list[Edge] = []
        for t in tables:
            self.tables[t.name] = [
                Column(t.name, c.name, str(c.type), tuple(str(v) for v in c.sample_values or ()))
                for c in t.columns
            ]
            self.table_synonyms[t.name] = [str(x) for x in getattr(t, "synonyms", None) or []]
            for info in t.columns:
                syn = getattr(info, "synonyms", None) or []
                self.column_synonyms[(t.name, info.name)] = [str(x) for x in syn]
            declared_key = list(getattr(t, "primary_key", None) or [])
            if len(declared_key) == 1:
                self.pk[t.name] = str(declared_key[0])
            for fk in getattr(t, "foreign_keys", None) or []:
                declared.append(Edge(t.name, fk.column, fk.ref_table, fk.ref_column))
        for name, cols in self.tables.items():
            if name in self.pk:
                continue
            names = [c.name for c in cols]
            for wanted in (f"{singular(name)}_id", "id"):
                if wanted in names:
                    self.pk[name] = wanted
                    break
        self.edges: list[Edge] = [e for e in declared if e.dst in self.tables]
        if not self.edges:
            for name, cols in self.tables.items():
                for c in cols:
                    if not c.name.endswith("_id") or self.pk.get(name) == c.name:
                        continue
                    for other, key in self.pk.items():
                        if other != name and key == c.name:
                            self.edges.append(Edge(name, c.name, other, key))
        self.aliases = self._make_aliases()

    def with_values(self, values: Iterable[tuple[str, str, str]]) -> Schema:
        """A copy that also knows these (table, column, value) triples, e.g. values looked up
        in the data for a column the catalog gives no samples for."""
        extra: dict[tuple[str, str], list[str]] = {}
        for table, column, value in values:
            if self.column(table, column) is not None:
                extra.setdefault((table, column), []).append(value)
        if not extra:
            return self
        clone = object.__new__(Schema)
        clone.__dict__.update(self.__dict__)
        clone.__dict__.pop("_lexicon", None)
        clone.tables = {
            name: [
                replace(
                    c, samples=tuple(dict.fromkeys((*c.samples, *extra.get((name, c.name), ()))))
                )
                for c in cols
            ]
            for name, cols in self.tables.items()
        }
        return clone

    def _make_aliases(self) -> dict[str, str]:
        aliases: dict[str, str] = {}
        for name in self.tables:
            base = "".join(part[0] for part in name.split("_") if part) or name[0]
            alias, n = base, 2
            while alias in aliases.values():
                alias, n = f"{base}{n}", n + 1
            aliases[name] = alias
        return aliases

    def column(self, table: str, name: str) -> Column | None:
        for c in self.tables.get(table, []):
            if c.name == name:
                return c
        return None

    def find_column(self, name: str) -> Column | None:
        """The column called `name`, preferring the table that references the most others (the
        fact table), because that is where a measure column is meant to be aggregated."""
        found = [c for cols in self.tables.values() for c in cols if c.name == name]
        if not found:
            return None
        return max(found, key=lambda c: len(self.many_to_one(c.table)))

    def label_column(self, table: str) -> Column | None:
        cols = self.tables.get(table, [])
        for wanted in (f"{singular(table)}_name", "name", "title"):
            for c in cols:
                if c.name == wanted:
                    return c
        return None

    def date_columns(self, table: str) -> list[Column]:
        return [c for c in self.tables.get(table, []) if c.is_date]

    def many_to_one(self, table: str) -> dict[str, int]:
        """Tables reachable from `table` by following references, with their distance."""
        seen = {table: 0}
        queue = deque([table])
        while queue:
            cur = queue.popleft()
            for e in self.edges:
                if e.src == cur and e.dst not in seen:
                    seen[e.dst] = seen[cur] + 1
                    queue.append(e.dst)
        return seen

    def referencing(self, table: str) -> list[Edge]:
        return [e for e in self.edges if e.dst == table]

    def path(self, start: str, goal: str) -> list[Edge] | None:
        """Shortest join path between two tables, over references in either direction."""
        if start == goal:
            return []
        prev: dict[str, tuple[str, Edge]] = {}
        queue = deque([start])
        seen = {start}
        while queue:
            cur = queue.popleft()
            for e in self.edges:
                nxt = e.dst if e.src == cur else e.src if e.dst == cur else None
                if nxt is None or nxt in seen:
                    continue
                seen.add(nxt)
                prev[nxt] = (cur, e)
                if nxt == goal:
                    out: list[Edge] = []
                    node = goal
                    while node != start:
                        p, edge = prev[node]
                        out.append(edge)
                        node = p
                    return list(reversed(out))
                queue.append(nxt)
        return None


# --------------------------------------------------------------------------------------------
# Intent


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    agg: Agg
    table: str | None = None
    column: str | None = None
    num: Measure | None = None
    den: Measure | None = None
    percent: bool = False


@dataclass(frozen=True)
class Dimension:
    table: str
    column: str

    @property
    def label(self) -> str:
        return self.column


@dataclass(frozen=True)
class Filter:
    table: str
    column: str
    values: tuple[str, ...]
    negate: bool = False


@dataclass(frozen=True)
class TimeRange:
    """`kind`: years (values), year_between (a, b), since (a), before (a), last (n, unit),
    quarter (year, q), month (year or 0, m)."""

    kind: str
    a: int = 0
    b: int = 0
    unit: Grain = "year"
    values: tuple[int, ...] = ()

    def describe(self) -> str:
        if self.kind == "years":
            return "in " + " and ".join(str(v) for v in self.values)
        if self.kind == "year_between":
            return f"from {self.a} to {self.b}"
        if self.kind == "since":
            return f"since {self.a}"
        if self.kind == "before":
            return f"before {self.a}"
        if self.kind == "last":
            return f"in the last {self.a} {self.unit}{'s' if self.a != 1 else ''} of data"
        if self.kind == "quarter":
            return f"in Q{self.b} {self.a}" if self.a else f"in Q{self.b}"
        if self.kind == "month":
            name = MONTH_NAMES[self.b - 1].capitalize()
            return f"in {name} {self.a}" if self.a else f"in {name}"
        return ""


@dataclass(frozen=True)
class Intent:
    question: str
    measures: tuple[Measure, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    grain: Grain | None = None
    new_entities: bool = False
    time_range: TimeRange | None = None
    filters: tuple[Filter, ...] = ()
    top_n: int | None = None
    order: Literal["desc", "asc"] | None = None
    share: bool = False
    growth: bool = False
    chart: ChartType | None = None
    color_scheme: str | None = None
    show_labels: bool | None = None
    versus: bool = False
    compare_years: bool = False
    measure_words: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Declined:
    """Why the question is not answered; `message` is shown to the user verbatim."""

    message: str
    reason: Literal["destructive", "out_of_scope", "not_understood"]
    lookup: tuple[str, ...] = ()
    """Phrases that may be values of text columns the catalog has no samples for."""


OFFLINE_HINT = (
    "configure an LLM with VIZORCH_LLM (for example openai:gpt-4o-mini or ollama:<model>) for "
    'open-ended questions, or ask something like "total sales by region" or "monthly orders in '
    '2023".'
)


# --------------------------------------------------------------------------------------------
# Vocabulary (docs/demo-data.md plus everyday synonyms)

MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTH_NAMES)} | {"sept": 9}
NUMBER_WORDS = {
    w: i + 1
    for i, w in enumerate(
        [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}

# measure key -> phrases. Keys that need columns are resolved against the catalog.
MEASURE_PHRASES: dict[str, tuple[str, ...]] = {
    "aov": (
        "average order value",
        "avg order value",
        "mean order value",
        "order value",
        "aov",
        "average basket",
        "average basket size",
        "basket size",
        "average sales per order",
        "average revenue per order",
        "revenue per order",
        "sales per order",
        "average order size",
        "average ticket",
    ),
    "margin": ("profit margin", "margin", "margins", "gross margin", "profitability"),
    "sales": (
        "sales",
        "revenue",
        "revenues",
        "turnover",
        "sales amount",
        "total sales",
        "gross sales",
        "net sales",
        "sale",
        "income",
    ),
    "profit": ("profit", "profits", "earnings", "net profit"),
    "units": (
        "units",
        "unit",
        "quantity",
        "quantities",
        "units sold",
        "items sold",
        "volume",
        "qty",
        "number of units",
        "number of items",
        "items",
    ),
    "cost": ("cost", "costs", "cogs"),
}
# Entity words: counted ("number of orders") or grouped by ("top 10 customers").
ENTITY_EXTRA: dict[str, tuple[str, ...]] = {
    "customers": ("client", "clients", "buyer", "buyers", "shopper", "shoppers"),
    "stores": ("shop", "shops", "outlet", "outlets", "location", "locations"),
    "orders": ("purchase", "purchases", "transaction", "transactions"),
    "products": ("item", "sku", "skus"),
}
DIMENSION_EXTRA: dict[str, tuple[str, ...]] = {
    "segment": ("customer segment", "customer segments", "customer type", "customer types"),
    "category": (
        "product category",
        "product categories",
        "categories",
        "department",
        "departments",
        "cat",
    ),
    "subcategory": (
        "sub category",
        "sub categories",
        "subcategories",
        "product subcategory",
        "product subcategories",
    ),
    "country": ("countries", "nation", "nations"),
    "region": ("regions", "territory", "territories", "market", "markets", "geography"),
    "city": ("cities", "town", "towns"),
    "channel": ("channels", "sales channel", "sales channels", "order channel"),
    "status": ("order status", "statuses", "order statuses", "state of the order"),
    "brand": ("brands", "manufacturer", "manufacturers"),
}
GRAIN_PHRASES: dict[str, Grain] = {
    "daily": "day",
    "day": "day",
    "days": "day",
    "per day": "day",
    "by day": "day",
    "by date": "day",
    "per date": "day",
    "weekly": "week",
    "week": "week",
    "weeks": "week",
    "monthly": "month",
    "month": "month",
    "months": "month",
    "quarterly": "quarter",
    "quarter": "quarter",
    "quarters": "quarter",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
    "year": "year",
    "years": "year",
    "year by year": "year",
    "over the years": "year",
    "per annum": "year",
    "month by month": "month",
}
TREND_PHRASES = (
    "trend",
    "trends",
    "over time",
    "time series",
    "evolution",
    "history",
    "historical",
    "timeline",
    "over the years",
    "through time",
)
GROWTH_PHRASES: dict[str, Grain | None] = {
    "growth": None,
    "growth rate": None,
    "percent change": None,
    "percentage change": None,
    "% change": None,
    "change over time": None,
    "year over year": "year",
    "yoy": "year",
    "month over month": "month",
    "mom": "month",
    "quarter over quarter": "quarter",
    "qoq": "quarter",
}
SHARE_PHRASES = (
    "share",
    "shares",
    "percentage",
    "percent",
    "proportion",
    "proportions",
    "mix",
    "%",
    "contribution",
    "split",
    "distribution",
)
CHART_PHRASES: dict[str, ChartType] = {
    "line": "line",
    "lines": "line",
    "line chart": "line",
    "line graph": "line",
    "bar": "bar",
    "bars": "bar",
    "bar chart": "bar",
    "bar graph": "bar",
    "column chart": "bar",
    "columns": "bar",
    "histogram": "bar",
    "pie": "pie",
    "pie chart": "pie",
    "donut": "pie",
    "doughnut": "pie",
    "area": "area",
    "area chart": "area",
    "stacked area": "area",
    "scatter": "scatter",
    "scatter plot": "scatter",
    "scatterplot": "scatter",
    "scatter chart": "scatter",
    "table": "table",
    "tabular": "table",
    "grid": "table",
    "kpi": "kpi",
    "single number": "kpi",
    "big number": "kpi",
    "number card": "kpi",
    "card": "kpi",
}
COLOR_PHRASES: dict[str, str] = {
    "blue": "blues",
    "blues": "blues",
    "green": "greens",
    "greens": "greens",
    "warm": "warm",
    "red": "warm",
    "reds": "warm",
    "orange": "warm",
    "cool": "cool",
    "purple": "cool",
    "mono": "mono",
    "monochrome": "mono",
    "grey": "mono",
    "gray": "mono",
    "black and white": "mono",
    "vivid": "vivid",
    "colorful": "vivid",
    "colourful": "vivid",
    "default colors": "default",
    "default colours": "default",
}
AGG_PHRASES: dict[str, Agg] = {
    "on average": "avg",
    "average": "avg",
    "avg": "avg",
    "mean": "avg",
    "typical": "avg",
    "total": "sum",
    "sum": "sum",
    "sum of": "sum",
    "overall": "sum",
    "max": "max",
    "maximum": "max",
    "biggest single": "max",
    "min": "min",
    "minimum": "min",
}
COUNT_PHRASES = ("number of", "how many", "count of", "count", "counts", "num of", "no of", "#")
NEW_PHRASES = ("new", "signups", "sign ups", "signed up", "joined", "acquired", "acquisition")
DESC_PHRASES = (
    "highest",
    "most",
    "largest",
    "biggest",
    "best",
    "greatest",
    "top",
    "leading",
    "descending",
    "descending order",
    "in descending order",
    "desc",
    "highest first",
    "high to low",
    "from highest to lowest",
    "largest first",
)
ASC_PHRASES = (
    "lowest",
    "least",
    "smallest",
    "worst",
    "bottom",
    "fewest",
    "ascending",
    "ascending order",
    "in ascending order",
    "asc",
    "lowest first",
    "low to high",
    "from lowest to highest",
    "smallest first",
)
NEGATION_PHRASES = ("excluding", "exclude", "except", "not", "without", "other than", "but not")
LABEL_ON = ("with labels", "show labels", "show values", "data labels", "labels on", "label")
LABEL_OFF = ("without labels", "hide labels", "no labels", "remove labels", "labels off")
ADD_CUES = ("also", "add", "and also", "too", "as well", "plus")
FOLLOW_CUES = (
    "instead",
    "only",
    "just",
    "now",
    "make it",
    "change",
    "switch",
    "same",
    "but",
    "show it",
    "as a",
    "as an",
    "turn it into",
    "what about",
    "how about",
    "and for",
    "limit to",
    "restrict to",
    "filter to",
    "filter",
)
# Verbs that tie a second noun to the measure instead of making it a measure of its own.
ACTIVITY_WORDS = frozenset(
    [
        "placed",
        "place",
        "placing",
        "made",
        "make",
        "bought",
        "buy",
        "buying",
        "purchased",
        "ordered",
        "order",
        "ordering",
        "with",
        "having",
        "had",
        "who",
        "that",
        "which",
        "did",
        "do",
        "of",
        "for",
        "from",
        "to",
        "on",
        "among",
    ]
)
# Words that name a period already given ("the month of March 2024"), not a bucketing.
NOISE_PHRASES = (
    "month of",
    "the month of",
    "year of",
    "the year of",
    "quarter of",
    "the quarter of",
)
CLEAR_FILTER_PHRASES = (
    "remove the filter",
    "remove the filters",
    "remove filters",
    "remove filter",
    "clear the filters",
    "clear filters",
    "no filters",
    "no filter",
    "without filters",
    "drop the filter",
    "drop the filters",
    "unfiltered",
)
# Questions about these need date parts or columns the offline model does not offer: decline.
UNSUPPORTED_PHRASES = (
    "day of week",
    "day of the week",
    "weekday",
    "weekdays",
    "weekend",
    "weekends",
    "hour",
    "hourly",
    "time of day",
    "month of year",
    "month of the year",
    "seasonality",
    "median",
    "percentile",
    "standard deviation",
    "cumulative",
    "running total",
    "moving average",
    "rolling",
)
VERSUS_PHRASES = (
    "vs",
    "versus",
    "against",
    "relationship",
    "correlation",
    "compared to",
    "compare",
    "compared",
    "comparing",
    "comparison",
)
ALL_TIME = ("all time", "all years", "every year", "whole period", "entire period", "all dates")

STOPWORDS = frozenset(
    [
        "hey",
        "hi",
        "hello",
        "ok",
        "okay",
        "would",
        "wanna",
        "gimme",
        "quick",
        "quickly",
        "real",
        "actual",
        "exactly",
        "generate",
        "generates",
        "generated",
        "evolve",
        "evolved",
        "evolving",
        "given",
        "distinct",
        "unique",
        "bring",
        "brings",
        "brought",
        "earn",
        "earns",
        "get",
        "got",
        "achieve",
        "achieved",
        "produce",
        "produced",
        "placed",
        "bought",
        "purchased",
        "ordered",
        "comes",
        "goes",
        "coming",
        "a",
        "an",
        "the",
        "of",
        "for",
        "in",
        "on",
        "at",
        "to",
        "from",
        "by",
        "per",
        "with",
        "and",
        "or",
        "vs",
        "versus",
        "v",
        "compared",
        "compare",
        "against",
        "between",
        "over",
        "across",
        "within",
        "during",
        "each",
        "every",
        "all",
        "any",
        "our",
        "my",
        "me",
        "us",
        "we",
        "i",
        "you",
        "your",
        "their",
        "its",
        "it",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "show",
        "shows",
        "display",
        "give",
        "get",
        "gives",
        "see",
        "view",
        "visualize",
        "visualise",
        "plot",
        "chart",
        "charts",
        "graph",
        "graphs",
        "draw",
        "list",
        "tell",
        "what",
        "what's",
        "whats",
        "which",
        "who",
        "where",
        "when",
        "how",
        "much",
        "many",
        "please",
        "can",
        "could",
        "would",
        "should",
        "will",
        "want",
        "need",
        "like",
        "let",
        "lets",
        "let's",
        "i'd",
        "i'm",
        "kindly",
        "just",
        "only",
        "now",
        "then",
        "also",
        "too",
        "as",
        "well",
        "instead",
        "make",
        "made",
        "making",
        "change",
        "switch",
        "turn",
        "into",
        "same",
        "but",
        "rather",
        "breakdown",
        "broken",
        "down",
        "break",
        "up",
        "split",
        "out",
        "sorted",
        "sort",
        "sorting",
        "order",
        "ordered",
        "rank",
        "ranked",
        "ranking",
        "by",
        "value",
        "values",
        "amount",
        "amounts",
        "figure",
        "figures",
        "number",
        "numbers",
        "data",
        "report",
        "summary",
        "overview",
        "metrics",
        "metric",
        "stats",
        "statistics",
        "info",
        "information",
        "details",
        "detail",
        "so",
        "far",
        "ever",
        "generated",
        "earned",
        "sold",
        "made",
        "sell",
        "brought",
        "bring",
        "did",
        "total",
        "totals",
        "overall",
        "whole",
        "entire",
        "group",
        "grouped",
        "grouping",
        "aggregate",
        "aggregated",
        "including",
        "include",
        "includes",
        "incl",
        "separately",
        "respectively",
        "first",
        "last",
        "past",
        "previous",
        "prior",
        "current",
        "this",
        "that",
        "year",
        "years",
        "please",
        "thanks",
        "thank",
        "bit",
        "performance",
        "perform",
        "performed",
        "performing",
        "look",
        "looking",
        "looks",
        "like",
        "compare",
        "comparison",
        "it's",
        "doing",
        "done",
        "go",
        "goes",
        "went",
        "result",
        "results",
        "come",
        "came",
        "from",
        "across",
        "through",
        "throughout",
        "based",
        "give",
        "me",
        "some",
        "vs.",
        "than",
        "versus",
        "one",
        "using",
        "use",
        "used",
        "where's",
        "there's",
    ]
)

# Verbs that change data: the strong ones are refused with any data noun ("delete all orders"),
# the weak ones only with storage nouns ("create a table"), so "add profit" stays a refinement.
STRONG_DESTRUCTIVE = frozenset(
    [
        "delete",
        "drop",
        "truncate",
        "update",
        "insert",
        "alter",
        "remove",
        "erase",
        "wipe",
        "destroy",
        "purge",
        "overwrite",
        "modify",
        "rename",
        "grant",
        "revoke",
    ]
)
WEAK_DESTRUCTIVE = frozenset(
    ["create", "replace", "merge", "clear", "set", "reset", "edit", "change", "add", "write"]
)
DATA_OBJECTS = (
    "table",
    "tables",
    "database",
    "databases",
    "schema",
    "row",
    "rows",
    "record",
    "records",
    "data",
    "column",
    "columns",
    "index",
    "view",
    "user",
    "users",
    "entries",
    "entry",
)
CHART_OBJECTS = (
    "label",
    "labels",
    "legend",
    "title",
    "grid",
    "gridlines",
    "color",
    "colors",
    "colour",
    "colours",
    "filter",
    "filters",
    "axis",
    "chart",
    "limit",
    "sort",
    "sorting",
    "breakdown",
)
OUT_OF_SCOPE = {
    "email": "sending email",
    "e mail": "sending email",
    "mail": "sending email",
    "send": "sending messages",
    "forward": "sending messages",
    "slack": "posting to Slack",
    "tweet": "posting to social media",
    "post": "posting messages",
    "notify": "sending notifications",
    "schedule": "scheduling jobs",
    "remind": "reminders",
    "print": "printing",
    "forecast": "forecasting (it needs a model)",
    "predict": "predictions (they need a model)",
    "prediction": "predictions (they need a model)",
    "projection": "projections (they need a model)",
    "why": "explaining causes (that needs an LLM)",
    "joke": "chit-chat",
    "poem": "creative writing",
    "password": "account management",
    "shell": "running commands",
    "execute": "running commands",
    "python": "running code",
}


def normalize(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(?<=\w)'s\b", "", text)
    text = re.sub(r"(?<=\w)n't\b", " not", text)
    text = re.sub(r"(?<=\w)'(?:d|ll|ve|re|m)\b", "", text)
    text = re.sub(r"[^a-z0-9&%#]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2]:
        word = word[:-1]
    return word


# --------------------------------------------------------------------------------------------
# Phrase matching


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    kind: str
    payload: object


class _Lexicon:
    """Every phrase the parser knows, built once per catalog."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.phrases: list[tuple[tuple[str, ...], str, object]] = []
        self.measure_defs: dict[str, Measure] = {}
        self.value_stems: dict[str, list[tuple[str, str, str]]] = {}
        self._build()
        # Typos are corrected towards words that mean something here (phrase words, months):
        # never towards a mere stopword, where a misspelt word would vanish ("weather" is not
        # "rather"), but "numbber" still becomes the "number" of "number of".
        self.targets = {w for p, _, _ in self.phrases for w in p}
        self.targets |= set(MONTH_NAMES) | set(NUMBER_WORDS)
        self.vocabulary = self.targets | set(STOPWORDS)

    def add(self, phrase: str, kind: str, payload: object) -> None:
        toks = tuple(normalize(phrase).split())
        if toks:
            self.phrases.append((toks, kind, payload))

    def _build(self) -> None:
        s = self.schema
        for key, phrases in MEASURE_PHRASES.items():
            m = self._vocab_measure(key, phrases[0])
            if m is None:
                continue
            self.measure_defs[key] = m
            for p in phrases:
                self.add(p, "measure", key)
        # Numeric, non-key columns are measures under their own names too ("average discount").
        for cols in s.tables.values():
            for c in cols:
                if c.is_numeric and not c.is_key:
                    words = c.name.replace("_", " ")
                    self.add(words, "column", c)
                    if words != plural(words):
                        self.add(plural(words), "column", c)
                    for p in s.column_synonyms.get((c.table, c.name), []):
                        self.add(p, "column_synonym", c)
        for table in s.tables:
            sing = singular(table).replace("_", " ")
            for p in (sing, plural(sing), *ENTITY_EXTRA.get(table, ())):
                self.add(p, "entity", table)
            for p in s.table_synonyms.get(table, []):
                self.add(p, "entity_synonym", table)
            for p in (f"{sing} count", f"{sing} counts"):
                self.add(p, "entity_count", table)
        for table, cols in s.tables.items():
            sing = singular(table).replace("_", " ")
            for c in cols:
                if not c.is_text:
                    continue
                words = c.name.replace("_", " ")
                names = {words, plural(words), f"{sing} {words}", f"{sing} {plural(words)}"}
                if c.name.endswith("_name"):
                    names |= {f"{sing} names", f"{sing} name"}
                names |= set(DIMENSION_EXTRA.get(c.name, ()))
                for p in names:
                    self.add(p, "dimension", Dimension(table, c.name))
                for p in s.column_synonyms.get((table, c.name), []):
                    self.add(p, "dimension_synonym", Dimension(table, c.name))
                for v in c.samples:
                    nv = normalize(v)
                    for variant in {nv, nv.replace("&", "and"), nv.replace(" & ", " ")}:
                        self.add(variant, "value", (table, c.name, v))
                    toks = nv.split()
                    if len(toks) == 1:
                        self.value_stems.setdefault(stem(toks[0]), []).append((table, c.name, v))
        for p, g in GRAIN_PHRASES.items():
            self.add(p, "grain", g)
        # "by order date" / "by purchase date": bucketing by a date column means by day.
        for table, cols in s.tables.items():
            for c in cols:
                if c.is_date:
                    for p in (
                        c.name.replace("_", " "),
                        *s.column_synonyms.get((table, c.name), []),
                    ):
                        if len(p.split()) > 1:
                            self.add(f"by {p}", "grain", "day")
                            self.add(f"per {p}", "grain", "day")
        for p in TREND_PHRASES:
            self.add(p, "trend", None)
        for p, gg in GROWTH_PHRASES.items():
            self.add(p, "growth", gg)
        for p in SHARE_PHRASES:
            self.add(p, "share", None)
        for p, ct in CHART_PHRASES.items():
            self.add(p, "chart", ct)
        for p, cs in COLOR_PHRASES.items():
            self.add(p, "color", cs)
        for p, agg in AGG_PHRASES.items():
            self.add(p, "agg", agg)
        for p in COUNT_PHRASES:
            self.add(p, "count", None)
        for p in NEW_PHRASES:
            self.add(p, "new", None)
        for p in DESC_PHRASES:
            self.add(p, "order", "desc")
        for p in ASC_PHRASES:
            self.add(p, "order", "asc")
        for p in NEGATION_PHRASES:
            self.add(p, "negate", None)
        for p in LABEL_ON:
            self.add(p, "labels", True)
        for p in LABEL_OFF:
            self.add(p, "labels", False)
        for p in ALL_TIME:
            self.add(p, "all_time", None)
        for p in (
            "sell",
            "sells",
            "selling",
            "sold",
            "buy",
            "buys",
            "buying",
            "spend",
            "spent",
            "spends",
        ):
            self.add(p, "sell", None)
        for p in ("reverse the order", "reverse order", "reversed", "reverse", "flip the order"):
            self.add(p, "reverse", None)
        for p in NOISE_PHRASES:
            self.add(p, "noise", None)
        for p in CLEAR_FILTER_PHRASES:
            self.add(p, "clear_filters", None)
        for p in UNSUPPORTED_PHRASES:
            self.add(p, "unsupported", None)
        for p in VERSUS_PHRASES:
            self.add(p, "versus", None)
        for p in ADD_CUES:
            self.add(p, "add", None)
        for p in FOLLOW_CUES:
            self.add(p, "follow", None)
        # Longest phrases first, so "order status" beats "orders" and "profit margin" beats
        # "profit". Among equals, the built-in vocabulary wins over catalog synonyms ("area" is a
        # chart here, not a region), and both win over sample values.
        rank = {"dimension_synonym": 1, "column_synonym": 1, "entity_synonym": 1, "value": 2}
        self.phrases.sort(key=lambda p: (-len(p[0]), rank.get(p[1], 0)))
        self.phrases = [(p, k.removesuffix("_synonym"), payload) for p, k, payload in self.phrases]
        self.dimension_phrases = {
            p: payload
            for p, k, payload in reversed(self.phrases)
            if k == "dimension" and isinstance(payload, Dimension)
        }

    def _vocab_measure(self, key: str, label: str) -> Measure | None:
        s = self.schema

        def col_sum(name: str, label: str) -> Measure | None:
            c = s.find_column(name)
            return Measure(name, label, "sum", c.table, c.name) if c else None

        if key in ("sales", "profit", "cost"):
            return col_sum(key, key)
        if key == "units":
            m = col_sum("quantity", "units")
            return replace(m, key="units") if m else None
        if key == "margin":
            p, sl = col_sum("profit", "profit"), col_sum("sales", "sales")
            if p and sl:
                return Measure("margin", "margin", "ratio", num=p, den=sl, percent=True)
        if key == "aov":
            sl = col_sum("sales", "sales")
            orders = self.entity_count("orders")
            if sl and orders:
                return Measure("aov", "average_order_value", "ratio", num=sl, den=orders)
        return None

    def entity_count(self, table: str) -> Measure | None:
        if table not in self.schema.tables or table not in self.schema.pk:
            return None
        return Measure(f"count:{table}", table, "count_entity", table, self.schema.pk[table])


def lexicon_for(schema: Schema) -> _Lexicon:
    """The schema's lexicon, built on first use and kept with the schema."""
    lex = schema.__dict__.get("_lexicon")
    if lex is None:
        lex = _Lexicon(schema)
        schema.__dict__["_lexicon"] = lex
    return lex


def _correct_typos(tokens: list[str], vocabulary: set[str], targets: set[str]) -> list[str]:
    known = sorted(targets)
    out = []
    for tok in tokens:
        if tok in vocabulary or tok.isdigit() or len(tok) < 4:
            out.append(tok)
            continue
        cutoff = 0.75 if len(tok) >= 5 else 0.8
        close = difflib.get_close_matches(tok, known, n=1, cutoff=cutoff)
        out.append(close[0] if close else tok)
    return out


def _find_matches(tokens: list[str], lex: _Lexicon) -> tuple[list[Match], list[bool]]:
    used = [False] * len(tokens)
    matches: list[Match] = []
    for phrase, kind, payload in lex.phrases:
        n = len(phrase)
        i = 0
        while i + n <= len(tokens):
            if tuple(tokens[i : i + n]) == phrase and not any(used[i : i + n]):
                matches.append(Match(i, i + n, kind, payload))
                for j in range(i, i + n):
                    used[j] = True
                i += n
            else:
                i += 1
    # A second chance for single-word values written differently ("canceled", "returns").
    for i, tok in enumerate(tokens):
        if used[i] or tok in STOPWORDS:
            continue
        hits = lex.value_stems.get(stem(tok))
        if hits:
            matches.append(Match(i, i + 1, "value", hits[0]))
            used[i] = True
    matches.sort(key=lambda m: m.start)
    return matches, used


# --------------------------------------------------------------------------------------------
# Parsing


_YEAR = r"(?:19|20)\d{2}"
_UNITS = {
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "quarter": "quarter",
    "quarters": "quarter",
    "year": "year",
    "years": "year",
}


def _extract_time(text: str) -> tuple[TimeRange | None, str]:
    """Time ranges written with numbers; returns the range and the text with them removed."""
    num = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"
    unit = r"(days?|weeks?|months?|quarters?|years?)"

    def n_of(tok: str) -> int:
        return int(tok) if tok.isdigit() else NUMBER_WORDS[tok]

    patterns: list[tuple[str, object]] = [
        (rf"\b(?:last|past|previous|recent|trailing|latest)\s+{num}\s+{unit}\b", "last_n"),
        (rf"\b(?:last|past|previous|latest|this|current)\s+{unit}\b", "last_1"),
        (r"\b(?:year to date|ytd)\b", "ytd"),
        (rf"\bq([1-4])\s*({_YEAR})\b", "quarter"),
        (rf"\b({_YEAR})\s*q([1-4])\b", "quarter_rev"),
        (r"\bq([1-4])\b", "quarter_only"),
        (
            rf"\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\s+(?:of\s+)?({_YEAR})\b",
            "qword",
        ),
        (rf"\bbetween\s+({_YEAR})\s+and\s+({_YEAR})\b", "between"),
        (rf"\bfrom\s+({_YEAR})\s+(?:to|through|until|till)\s+({_YEAR})\b", "between"),
        (rf"\b({_YEAR})\s*(?:to|through|until)\s*({_YEAR})\b", "between"),
        (rf"\b(?:since|after|from|starting)\s+({_YEAR})\b", "since"),
        (rf"\b(?:before|until|prior to)\s+({_YEAR})\b", "before"),
    ]
    months = "|".join(MONTH_NAMES + sorted(MONTH_ABBR, key=len, reverse=True))
    patterns.append((rf"\b({months})\s+({_YEAR})\b", "month_year"))
    patterns.append((rf"\bin\s+({months})\b", "month_only"))
    for pat, kind in patterns:
        m = re.search(pat, text)
        if not m:
            continue
        g = m.groups()
        rng: TimeRange | None = None
        if kind == "last_n":
            rng = TimeRange("last", a=n_of(g[0]), unit=_UNITS[g[1]])  # type: ignore[arg-type]
        elif kind == "last_1":
            rng = TimeRange("last", a=1, unit=_UNITS[g[0]])  # type: ignore[arg-type]
        elif kind == "ytd":
            rng = TimeRange("last", a=1, unit="year")
        elif kind == "quarter":
            rng = TimeRange("quarter", a=int(g[1]), b=int(g[0]))
        elif kind == "quarter_rev":
            rng = TimeRange("quarter", a=int(g[0]), b=int(g[1]))
        elif kind == "quarter_only":
            rng = TimeRange("quarter", a=0, b=int(g[0]))
        elif kind == "qword":
            q = {"first": 1, "second": 2, "third": 3, "fourth": 4}.get(g[0]) or int(g[0][0])
            rng = TimeRange("quarter", a=int(g[1]), b=q)
        elif kind == "between":
            a, b = sorted((int(g[0]), int(g[1])))
            rng = TimeRange("year_between", a=a, b=b)
        elif kind == "since":
            rng = TimeRange("since", a=int(g[0]))
        elif kind == "before":
            rng = TimeRange("before", a=int(g[0]))
        elif kind == "month_year":
            mon = MONTH_NAMES.index(g[0]) + 1 if g[0] in MONTH_NAMES else MONTH_ABBR[g[0]]
            rng = TimeRange("month", a=int(g[1]), b=mon)
        elif kind == "month_only":
            mon = MONTH_NAMES.index(g[0]) + 1 if g[0] in MONTH_NAMES else MONTH_ABBR[g[0]]
            rng = TimeRange("month", a=0, b=mon)
        if rng is not None:
            return rng, text[: m.start()] + " " + text[m.end() :]
    years = re.findall(rf"\b({_YEAR})\b", text)
    if years:
        uniq = tuple(sorted({int(y) for y in years}))
        return TimeRange("years", values=uniq), re.sub(rf"\b{_YEAR}\b", " ", text)
    return None, text


def _extract_top_n(text: str) -> tuple[int | None, str | None, str]:
    num = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"
    pats = [
        (rf"\b(top|best|highest|largest|biggest|leading|first)\s+{num}\b", 0),
        (rf"\b(bottom|worst|lowest|smallest|last)\s+{num}\b", 0),
        (rf"\b{num}\s+(best|top|highest|largest|biggest|worst|lowest|smallest|bottom)\b", 1),
        (rf"\blimit(?:ed)?\s+(?:to\s+)?{num}\b", 2),
        (rf"\b(?:which|what)\s+{num}\b", 3),
    ]
    for pat, shape in pats:
        m = re.search(pat, text)
        if not m:
            continue
        if shape == 0:
            word, n = m.group(1), m.group(2)
        elif shape == 1:
            n, word = m.group(1), m.group(2)
        elif shape == 2:
            word, n = "top", m.group(1)
        else:
            # "which 3 cities sell the least": the direction comes from the rest of the question.
            rest = text[m.end() :].split()
            low = any(w in rest for w in ("least", "lowest", "fewest", "worst", "smallest"))
            word, n = ("bottom" if low else "top"), m.group(1)
        count = int(n) if n.isdigit() else NUMBER_WORDS[n]
        if count <= 0 or count > 1000:
            continue
        direction = "asc" if word in ("bottom", "worst", "lowest", "smallest", "last") else "desc"
        return count, direction, text[: m.start()] + " " + text[m.end() :]
    return None, None, text


def _safety_check(text: str, tokens: list[str]) -> Declined | None:
    toks = set(tokens)
    sql_words = re.search(
        r"\b(drop\s+(?:table|database|schema|view|column)|truncate|delete\s+from|insert\s+into|"
        r"update\s+\w+\s+set|alter\s+table|create\s+table|grant|revoke)\b",
        text,
    )
    entity_words = {"orders", "customers", "products", "stores", "order", "customer", "all"}
    storage = toks & set(DATA_OBJECTS)
    verb = None
    if not toks & set(CHART_OBJECTS):
        verb = next(
            (
                t
                for t in tokens
                if (t in STRONG_DESTRUCTIVE and (storage or toks & entity_words))
                or (t in WEAK_DESTRUCTIVE and storage)
            ),
            None,
        )
    if sql_words or verb:
        word = (sql_words.group(1).split()[0] if sql_words else verb or "").upper()
        return Declined(
            f"I can't answer that offline: Vizorch only reads data, it never changes or deletes "
            f"it, so this request ({word}) was not run. Ask a question about the data instead, "
            f'for example "number of orders by status".',
            "destructive",
        )
    for word, what in OUT_OF_SCOPE.items():
        if re.search(rf"\b{re.escape(word)}\b", text):
            return Declined(
                f"I can't answer that offline: {what} is outside what Vizorch does; it answers "
                "questions about your data with a query and a chart.",
                "out_of_scope",
            )
    return None


@dataclass
class _Parts:
    """What one message says, before it is merged with the conversation."""

    measures: list[Measure] = field(default_factory=list)
    measure_words: list[str] = field(default_factory=list)
    dimensions: list[Dimension] = field(default_factory=list)
    grain: Grain | None = None
    trend: bool = False
    new: bool = False
    time_range: TimeRange | None = None
    all_time: bool = False
    filters: list[Filter] = field(default_factory=list)
    top_n: int | None = None
    order: Literal["desc", "asc"] | None = None
    share: bool = False
    growth: bool = False
    growth_grain: Grain | None = None
    chart: ChartType | None = None
    color: str | None = None
    labels: bool | None = None
    follow: bool = False
    add: bool = False
    unknown: list[str] = field(default_factory=list)
    lookup: list[str] = field(default_factory=list)
    singular_pick: bool = False
    versus: bool = False
    clear_filters: bool = False
    sell: bool = False
    reverse: bool = False
    averaged: bool = False


def _parse_parts(question: str, schema: Schema) -> _Parts | Declined:
    lex = lexicon_for(schema)
    text = normalize(question)
    raw_tokens = text.split()
    declined = _safety_check(text, raw_tokens)
    if declined:
        return declined
    corrected = _correct_typos(raw_tokens, lex.vocabulary, lex.targets)
    # A correction that leads nowhere is undone below, so "paris" is looked up as written
    # rather than as the "parts" it resembles.
    originals = {c: o for o, c in zip(raw_tokens, corrected, strict=True) if o != c}
    text = " ".join(corrected)
    parts = _Parts()
    # "and units?", "and for Europe": a message that starts by continuing the last one.
    parts.follow = text.startswith(("and ", "also ", "plus "))
    parts.time_range, text = _extract_time(text)
    top_n, direction, text = _extract_top_n(text)
    if top_n is not None:
        parts.top_n, parts.order = top_n, direction  # type: ignore[assignment]
    tokens = text.split()
    matches, used = _find_matches(tokens, lex)

    parts.averaged = any(mm.kind == "agg" and mm.payload == "avg" for mm in matches)
    pending_agg: Agg | None = None
    pending_count = False
    negate_at = -10
    for idx, m in enumerate(matches):
        prev_tok = tokens[m.start - 1] if m.start > 0 else ""
        prev_match = matches[idx - 1] if idx > 0 else None
        kind = m.kind
        if kind == "agg":
            pending_agg = m.payload  # type: ignore[assignment]
        elif kind == "count":
            pending_count = True
        elif kind == "negate":
            negate_at = m.end
        elif kind == "measure":
            key = str(m.payload)
            base = lex.measure_defs[key]
            if pending_agg == "avg" and key in ("sales", "profit", "cost", "units"):
                base = replace(
                    base, key=f"avg:{base.column}", label=f"avg_{base.column}", agg="avg"
                )
            elif pending_agg in ("min", "max") and base.agg == "sum":
                base = replace(
                    base,
                    key=f"{pending_agg}:{base.column}",
                    label=f"{pending_agg}_{base.column}",
                    agg=pending_agg,
                )
            elif pending_count and key == "units":
                base = lex.measure_defs[key]
            word = " ".join(tokens[m.start : m.end])
            if key == "sales" and word.startswith(("revenue", "turnover", "income")):
                base = replace(base, label="revenue")
            if prev_tok == "per" and parts.measures and base.agg != "ratio":
                # "profit per unit": one measure divided by another.
                num = parts.measures.pop()
                base = Measure(
                    f"{num.key}/{base.key}",
                    f"{num.label}_per_{singular(base.label)}",
                    "ratio",
                    num=num,
                    den=base,
                )
                word = f"{parts.measure_words.pop()} per {word}"
            parts.measures.append(base)
            parts.measure_words.append(word)
            pending_agg, pending_count = None, False
        elif kind == "column":
            c = m.payload
            assert isinstance(c, Column)
            agg: Agg = pending_agg or (
                "avg" if any(k in c.name for k in ("price", "discount", "rate", "pct")) else "sum"
            )
            if agg == "sum" and pending_agg is None and c.name == "quantity":
                parts.measures.append(
                    lex.measure_defs.get("units")
                    or Measure("sum:quantity", "quantity", "sum", c.table, c.name)
                )
            else:
                label = c.name if agg == "sum" else f"{agg}_{c.name}"
                parts.measures.append(Measure(f"{agg}:{c.name}", label, agg, c.table, c.name))
            parts.measure_words.append(" ".join(tokens[m.start : m.end]))
            pending_agg, pending_count = None, False
        elif kind in ("entity", "entity_count"):
            table = str(m.payload)
            nxt = matches[idx + 1] if idx + 1 < len(matches) else None
            as_dim = (
                prev_tok in ("by", "per", "each", "every", "across")
                or (
                    # "top products", "best selling products": a ranked noun is grouped by.
                    prev_match is not None
                    and prev_match.kind in ("order", "sell")
                    and prev_match.end == m.start
                    and (parts.order is not None or prev_match.kind == "order")
                )
                or (parts.top_n is not None and not pending_count and kind == "entity")
                or (
                    nxt is not None
                    and nxt.kind in ("measure", "column")
                    and not pending_count
                    and prev_tok not in ("of",)
                )
            )
            qualifier = False
            listed = (
                prev_tok in ("and", "&", "plus", "vs", "versus")
                and prev_match is not None
                and prev_match.kind in ("measure", "column", "entity", "entity_count")
                and bool(parts.measures)
                and prev_match.end == m.start - 1
            )
            if kind == "entity_count" or pending_count or listed:
                # "orders and customers": listed after a measure, it is one more measure.
                as_dim = False
            elif not as_dim:
                # "customers by segment": an entity noun with no other measure is a count.
                others = any(
                    mm.kind in ("measure", "column") for mm in matches if mm is not m
                ) or any(mm.kind == "entity" and mm.start < m.start for mm in matches)
                # With another measure, "online orders" or "customers who placed orders" only
                # qualify the question: the noun is neither grouped by nor counted.
                qualifier = others and (
                    prev_tok in ACTIVITY_WORDS
                    or (
                        prev_match is not None
                        and prev_match.kind == "value"
                        and prev_match.end == m.start
                    )
                )
                as_dim = others and not qualifier
            if (
                not as_dim
                and not pending_count
                and kind == "entity"
                and any(mm.kind == "sell" and mm.start > m.start for mm in matches)
            ):
                # "how much did customers spend": the noun is who buys, the amount is sales.
                qualifier = True
            per_average = (
                prev_tok == "per"
                and parts.measures
                and (parts.averaged or parts.measures[-1].agg == "avg")
                and parts.measures[-1].agg != "ratio"
                and lex.entity_count(table) is not None
            )
            if per_average:
                # "average sales per customer": the total divided by the number of customers.
                last = parts.measures.pop()
                if last.agg == "avg":
                    last = replace(
                        last, key=f"sum:{last.column}", label=str(last.column), agg="sum"
                    )
                count = lex.entity_count(table)
                assert count is not None
                parts.measures.append(
                    Measure(
                        f"{last.key}/{count.key}",
                        f"{last.label}_per_{singular(table)}",
                        "ratio",
                        num=last,
                        den=count,
                    )
                )
                parts.measure_words[-1] += f" per {singular(table)}"
            elif qualifier:
                pass
            elif as_dim:
                label_col = lex.schema.label_column(table)
                if label_col is None:
                    parts.unknown.append(" ".join(tokens[m.start : m.end]))
                else:
                    parts.dimensions.append(Dimension(table, label_col.name))
                    if tokens[m.start] == singular(tokens[m.start]) and prev_tok in (
                        "which",
                        "what",
                    ):
                        parts.singular_pick = True
            else:
                em = lex.entity_count(table)
                if em is None:
                    parts.unknown.append(" ".join(tokens[m.start : m.end]))
                else:
                    parts.measures.append(em)
                    parts.measure_words.append(" ".join(tokens[m.start : m.end]))
            pending_agg, pending_count = None, False
        elif kind == "dimension":
            d = m.payload
            assert isinstance(d, Dimension)
            named = (
                prev_match is not None
                and prev_match.kind == "value"
                and prev_match.end == m.start
                and isinstance(prev_match.payload, tuple)
                and prev_match.payload[:2] == (d.table, d.column)
            )
            # "the phone channel", "the Voltix brand": the column only names the value's kind.
            if d not in parts.dimensions and not named:
                parts.dimensions.append(d)
            if prev_tok in ("which", "what") and tokens[m.start] == singular(tokens[m.start]):
                parts.singular_pick = True
        elif kind == "value":
            assert isinstance(m.payload, tuple)
            v_table, v_column, v_value = (str(x) for x in m.payload)
            negate = m.start - negate_at <= 1 and m.start >= negate_at
            if negate:
                # "excluding cancelled and returned": the negation runs on over a list.
                negate_at = m.end
            for f in parts.filters:
                if (f.table, f.column, f.negate) == (v_table, v_column, negate):
                    parts.filters.remove(f)
                    parts.filters.append(replace(f, values=(*f.values, str(v_value))))
                    break
            else:
                parts.filters.append(Filter(v_table, v_column, (str(v_value),), negate))
        elif kind == "grain":
            parts.grain = m.payload  # type: ignore[assignment]
        elif kind == "trend":
            parts.trend = True
        elif kind == "growth":
            parts.growth = True
            if m.payload:
                parts.growth_grain = m.payload  # type: ignore[assignment]
        elif kind == "share":
            parts.share = True
        elif kind == "chart":
            phrase = tuple(tokens[m.start : m.end])
            if prev_tok in ("by", "per") and phrase in lex.dimension_phrases:
                # "sales by area": the catalog's word for a column, not a chart type.
                dim = lex.dimension_phrases[phrase]
                if dim not in parts.dimensions:
                    parts.dimensions.append(dim)
            else:
                parts.chart = m.payload  # type: ignore[assignment]
        elif kind == "color":
            parts.color = str(m.payload)
        elif kind == "labels":
            parts.labels = bool(m.payload)
        elif kind == "new":
            parts.new = True
        elif kind == "order":
            if parts.order is None:
                parts.order = m.payload  # type: ignore[assignment]
        elif kind == "all_time":
            parts.all_time = True
        elif kind == "reverse":
            parts.reverse = True
        elif kind == "sell":
            parts.sell = True
        elif kind == "clear_filters":
            parts.clear_filters = True
        elif kind == "unsupported":
            parts.unknown.append(" ".join(tokens[m.start : m.end]))
        elif kind == "versus":
            parts.versus = True
        elif kind == "follow":
            parts.follow = True
        elif kind == "add":
            parts.add = True
    if parts.sell and not parts.measures and "sales" in lex.measure_defs:
        # "how much did we sell": the verb stands for sales when nothing else is measured.
        parts.measures.append(lex.measure_defs["sales"])
        parts.measure_words.append("sales")
    unknown_at = [i for i, tok in enumerate(tokens) if not used[i] and tok not in STOPWORDS]
    written = [originals.get(tok, tok) if not used[i] else tok for i, tok in enumerate(tokens)]
    parts.unknown.extend(written[i] for i in unknown_at)
    # Candidate values to look up: word runs around each unknown word ("mexico city").
    for i in unknown_at:
        for start in range(max(i - 2, 0), i + 1):
            for end in range(i + 1, min(i + 3, len(tokens)) + 1):
                words = " ".join(written[start:end])
                if words not in parts.lookup:
                    parts.lookup.append(words)
    return parts


def _describe_unknown(words: Iterable[str]) -> str:
    return ", ".join(f'"{w}"' for w in dict.fromkeys(words))


def parse_question(
    question: str, schema: Schema, previous: Intent | None = None
) -> Intent | Declined:
    """The intent of `question`, merged with `previous` when it refines the last answer."""
    parts = _parse_parts(question, schema)
    if isinstance(parts, Declined):
        return parts
    if parts.unknown:
        return Declined(
            "I can't answer that offline: " + OFFLINE_HINT + " I don't know what "
            f"{_describe_unknown(parts.unknown)} refers to in this data.",
            "not_understood",
            # Only worth a look in the data when the rest of the question makes sense.
            lookup=tuple(parts.lookup) if parts.measures or previous else (),
        )
    full = bool(parts.measures) and bool(parts.dimensions or parts.grain or parts.trend)
    standalone = bool(parts.measures) and (
        not (parts.follow or parts.add) or (full and not parts.add)
    )
    if previous is None or standalone:
        if not parts.measures:
            return Declined(
                "I can't answer that offline: " + OFFLINE_HINT + " I could not find a measure "
                "(like sales, profit, units, orders or customers) in the question.",
                "not_understood",
            )
        return _finish(question, parts, base=None, schema=schema)
    return _finish(question, parts, base=previous, schema=schema)


def _finish(question: str, p: _Parts, base: Intent | None, schema: Schema) -> Intent | Declined:
    grain = p.grain or p.growth_grain
    if grain is None and (p.trend or p.growth) and not p.dimensions:
        grain = "year" if p.growth else "month"
    if base is None:
        measures = tuple(dict.fromkeys(p.measures))
        dims = tuple(p.dimensions)
        # "online vs in-store sales": two values of one column are compared, so split by it.
        for f in p.filters:
            d = Dimension(f.table, f.column)
            room = len(dims) + (1 if grain else 0) < 2
            if len(f.values) > 1 and not f.negate and d not in dims and room:
                dims = (*dims, d)
        filters = tuple(p.filters)
        time_range = p.time_range
        # "2022 vs 2023", "in 2021 and 2022": several years are compared, one bar each.
        compare_years = grain is None and time_range is not None and len(time_range.values) > 1
        if compare_years:
            grain = "year"
        intent = Intent(
            question=question,
            measures=measures,
            dimensions=dims,
            grain=grain,
            new_entities=p.new,
            time_range=time_range,
            filters=filters,
            top_n=p.top_n if p.top_n is not None else (1 if p.singular_pick and p.order else None),
            order=p.order,
            share=p.share,
            growth=p.growth,
            chart=p.chart,
            color_scheme=p.color,
            show_labels=p.labels,
            versus=p.versus,
            compare_years=compare_years,
            measure_words=tuple(p.measure_words),
        )
    else:
        intent = _merge(question, base, p, grain)
    if intent.growth and intent.grain is None:
        intent = replace(intent, grain="year")
    if intent.share and not intent.dimensions and intent.grain is None:
        return Declined(
            "I can't answer that offline: " + OFFLINE_HINT + " A share needs something to "
            'split by, for example "share of orders by status".',
            "not_understood",
        )
    if intent.grain is not None and not intent.measures:
        return Declined(
            "I can't answer that offline: " + OFFLINE_HINT + " There is no measure to chart.",
            "not_understood",
        )
    return intent


def _merge(question: str, prev: Intent, p: _Parts, grain: Grain | None) -> Intent:
    """A follow-up keeps everything it does not mention and replaces what it does."""
    measures = prev.measures
    words = prev.measure_words
    if p.measures:
        if p.add:
            measures = tuple(dict.fromkeys((*prev.measures, *p.measures)))
            words = (*prev.measure_words, *p.measure_words)
        else:
            measures, words = tuple(p.measures), tuple(p.measure_words)
    dims, new_grain = prev.dimensions, prev.grain
    regrouped = bool(p.dimensions) or grain is not None
    if regrouped:
        if p.add:
            dims = tuple(dict.fromkeys((*prev.dimensions, *p.dimensions)))
            new_grain = grain or prev.grain
        else:
            dims, new_grain = tuple(p.dimensions), grain
    filters = [] if p.clear_filters else list(prev.filters)
    for f in p.filters:
        filters = [g for g in filters if (g.table, g.column) != (f.table, f.column)]
        filters.append(f)
    time_range = None if p.all_time else (p.time_range or prev.time_range)
    # A ranking belongs to its grouping: "by month instead" after "top 3 regions" drops it.
    top_n, order = (None, None) if regrouped else (prev.top_n, prev.order)
    if p.top_n is not None:
        top_n, order = p.top_n, p.order
    elif p.order is not None:
        order = p.order
    elif p.reverse:
        order = "asc" if order in (None, "desc") else "desc"
    chart = p.chart if p.chart is not None else (None if regrouped else prev.chart)
    return Intent(
        question=question,
        measures=measures,
        dimensions=dims,
        grain=new_grain,
        new_entities=p.new or (prev.new_entities and not p.measures),
        time_range=time_range,
        filters=tuple(filters),
        top_n=top_n,
        order=order,
        share=p.share or (prev.share and not regrouped),
        growth=p.growth or (prev.growth and not p.measures),
        chart=chart,
        color_scheme=p.color or prev.color_scheme,
        show_labels=p.labels if p.labels is not None else prev.show_labels,
        versus=p.versus or (prev.versus and not p.measures),
        compare_years=prev.compare_years and not regrouped and p.time_range is None,
        measure_words=words,
    )


# --------------------------------------------------------------------------------------------
# Chart choice

PIE_MAX_PARTS = 8


def choose_chart(intent: Intent, schema: Schema) -> ChartType:
    """Line for time, bar for categories, pie for shares of a few parts, scatter for two
    measures, KPI for one number, table otherwise. An explicit request wins when it fits."""
    n_measures = len(intent.measures) + (1 if intent.growth else 0)
    has_time = intent.grain is not None
    n_dims = len(intent.dimensions)
    if intent.chart is not None and _chart_fits(intent.chart, intent):
        return intent.chart
    if not has_time and n_dims == 0:
        return "kpi" if n_measures == 1 else "table"
    if intent.compare_years and n_dims <= 1 and n_measures == 1:
        return "bar"
    if has_time:
        if n_dims == 0 or (n_dims == 1 and n_measures == 1):
            return "line"
        return "table"
    if n_measures == 2 and n_dims == 1 and not intent.share:
        # Two measures per item: a scatter when they are set against each other or there are
        # many items; side-by-side bars for a few categories.
        d = intent.dimensions[0]
        many = d.column == (schema.label_column(d.table) or Column("", "", "")).name
        return "scatter" if intent.versus or many else "bar"
    if n_measures == 1 and n_dims == 1:
        d = intent.dimensions[0]
        col = schema.column(d.table, d.column)
        parts = len(col.samples) if col else 0
        if intent.share and (intent.top_n or parts) and (intent.top_n or parts) <= PIE_MAX_PARTS:
            return "pie"
        return "bar"
    if n_measures == 1 and n_dims == 2:
        return "bar"
    return "table"


def _chart_fits(chart: ChartType, intent: Intent) -> bool:
    n_measures = len(intent.measures)
    n_axes = len(intent.dimensions) + (1 if intent.grain else 0)
    if chart == "table":
        return True
    if chart == "kpi":
        return n_axes == 0
    if chart == "scatter":
        return n_measures >= 2
    if chart == "pie":
        return n_axes == 1 and n_measures == 1
    return n_axes >= 1
