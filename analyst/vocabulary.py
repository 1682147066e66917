"""The words the offline analyst knows without any catalog: generic English for aggregations, time,
rankings, charts, colours, refinements and requests it must refuse. Every word about the data
itself (tables, columns, values, business terms) comes from the semantic catalog instead."""

from __future__ import annotations

import re
from typing import Literal

Grain = Literal["day", "week", "month", "quarter", "year"]
ChartType = Literal["bar", "line", "area", "pie", "scatter", "table", "kpi", "multiples"]
Agg = Literal["sum", "avg", "min", "max", "count", "count_distinct"]

GRAINS: tuple[Grain, ...] = ("day", "week", "month", "quarter", "year")
CHART_TYPES: tuple[ChartType, ...] = (
    "bar",
    "line",
    "area",
    "pie",
    "scatter",
    "table",
    "kpi",
    "multiples",
)
COLOR_SCHEMES = ("default", "blues", "greens", "warm", "cool", "mono", "vivid")

MONTH_NAMES = (
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
)
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
    "highest single": "max",
    "biggest single": "max",
    "largest single": "max",
    "peak": "max",
    "min": "min",
    "minimum": "min",
    "smallest single": "min",
    "lowest single": "min",
}
COUNT_PHRASES = (
    "number of",
    "how many",
    "count of",
    "count",
    "counts",
    "num of",
    "no of",
    "#",
)
DISTINCT_PHRASES = ("distinct", "different", "unique")

GRAIN_PHRASES: dict[str, Grain] = {
    "daily": "day",
    "day": "day",
    "days": "day",
    "per day": "day",
    "by day": "day",
    "by date": "day",
    "per date": "day",
    "day by day": "day",
    "weekly": "week",
    "week": "week",
    "weeks": "week",
    "monthly": "month",
    "month": "month",
    "months": "month",
    "month by month": "month",
    "quarterly": "quarter",
    "quarter": "quarter",
    "quarters": "quarter",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
    "year": "year",
    "years": "year",
    "year by year": "year",
    "per annum": "year",
    "over the years": "year",
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
    "breakdown",
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
    "small multiples": "multiples",
    "small multiple": "multiples",
    "multiples": "multiples",
    "panels": "multiples",
    "facets": "multiples",
    "faceted": "multiples",
    "trellis": "multiples",
    "separate charts": "multiples",
    "one chart per": "multiples",
    "a chart per": "multiples",
    "a chart for each": "multiples",
    "one chart for each": "multiples",
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
DESC_PHRASES = (
    "highest",
    "most",
    "largest",
    "biggest",
    "best",
    "greatest",
    "top",
    "leading",
    "heaviest",
    "longest",
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
    "lightest",
    "shortest",
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
LABEL_ON = (
    "with labels",
    "show labels",
    "show the labels",
    "add labels",
    "add the labels",
    "show values",
    "show the values",
    "data labels",
    "labels on",
    "label",
)
LABEL_OFF = (
    "without labels",
    "hide labels",
    "hide the labels",
    "no labels",
    "remove labels",
    "remove the labels",
    "drop the labels",
    "labels off",
)
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
# Words that introduce a grouping: "by X", "per X", "for each X".
GROUP_WORDS = ("by", "per", "each", "every", "across")
# Verbs that tie a noun to the measure instead of making it a measure of its own ("members who
# made bookings", "shops with returns").
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
NEW_PHRASES = ("new", "signups", "sign ups", "signed up", "joined", "acquired", "acquisition")
# A period already named ("the month of March 2024"), not a bucketing.
NOISE_PHRASES = ("month of", "the month of", "year of", "the year of", "quarter of")
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
REVERSE_PHRASES = ("reverse the order", "reverse order", "reversed", "reverse", "flip the order")
ALL_TIME = ("all time", "all years", "every year", "whole period", "entire period", "all dates")
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
# Shapes the offline analyst does not compute: it says so rather than answering something else.
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
    "variance",
    "cumulative",
    "running total",
    "moving average",
    "rolling",
    "correlation coefficient",
)

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
        "bring",
        "brings",
        "brought",
        "earn",
        "earns",
        "earned",
        "get",
        "got",
        "achieve",
        "achieved",
        "produce",
        "produced",
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
        "broken",
        "down",
        "break",
        "up",
        "out",
        "sorted",
        "sort",
        "sorting",
        "order",
        "ordered",
        "rank",
        "ranked",
        "ranking",
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
        "sold",
        "sell",
        "selling",
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
        "year",
        "years",
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
        "it's",
        "doing",
        "done",
        "go",
        "went",
        "result",
        "results",
        "come",
        "came",
        "through",
        "throughout",
        "based",
        "some",
        "vs.",
        "than",
        "one",
        "using",
        "use",
        "used",
        "where's",
        "there's",
        "exist",
        "exists",
        "existing",
        "available",
        "recorded",
        "record",
        "records",
        "row",
        "rows",
        "entry",
        "entries",
        "item",
        "items",
    ]
)

# Verbs that change data: the strong ones are refused with any data noun ("delete all rows"),
# the weak ones only with storage nouns ("create a table"), so "add X" stays a refinement.
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
DATA_OBJECTS = frozenset(
    [
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
        "everything",
    ]
)
# Nouns of a chart: "remove the labels" edits the chart, it changes no data.
CHART_OBJECTS = frozenset(
    [
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
    ]
)
SQL_WRITES = re.compile(
    r"\b(drop\s+(?:table|database|schema|view|column)|truncate|delete\s+from|insert\s+into|"
    r"update\s+\w+\s+set|alter\s+table|create\s+(?:or\s+replace\s+)?table|grant|revoke)\b"
)
OUT_OF_SCOPE = {
    "email": "sending email",
    "e mail": "sending email",
    "mail it": "sending email",
    "send": "sending messages",
    "forward": "sending messages",
    "slack": "posting to Slack",
    "tweet": "posting to social media",
    "notify": "sending notifications",
    "schedule": "scheduling jobs",
    "remind": "reminders",
    "print": "printing",
    "forecast": "forecasting (it needs a model)",
    "predict": "predictions (they need a model)",
    "prediction": "predictions (they need a model)",
    "projection": "projections (they need a model)",
    "why": "explaining causes (that needs an LLM)",
    "weather like": "questions about the world outside this data",
    "tomorrow": "questions about the future",
    "joke": "chit-chat",
    "poem": "creative writing",
    "password": "account management",
    "shell": "running commands",
    "execute": "running commands",
    "python": "running code",
}


def normalize(text: str) -> str:
    """Lower case, possessives and contractions folded, punctuation to spaces (keeping & % #)."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(?<=\w)'s\b", "", text)
    text = re.sub(r"(?<=\w)n't\b", " not", text)
    text = re.sub(r"(?<=\w)'(?:d|ll|ve|re|m)\b", "", text)
    text = re.sub(r"[^a-z0-9&%#]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


_IRREGULAR = {
    "people": "person",
    "men": "man",
    "women": "woman",
    "children": "child",
    "data": "data",
    "series": "series",
    "species": "species",
    "news": "news",
    "analyses": "analysis",
    "indices": "index",
}


def singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh", "z")):
        return word + "es"
    return word + "s"


def stem(word: str) -> str:
    """A crude stem to match values written differently ("canceled" and "cancelled")."""
    for suffix in ("ations", "ation", "ings", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2]:
        word = word[:-1]
    return word


def split_identifier(name: str) -> list[str]:
    """Words of a column or table name: snake_case, camelCase, digits apart, lower case."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", name.lower()) if w]


def is_abbreviation(short: str, word: str) -> bool:
    """`short` abbreviates `word`: same first letter, its letters in order ("acct" of "account",
    "mgr" of "manager", "mkt" of "market")."""
    if not short or not word or short[0] != word[0] or len(short) > len(word):
        return False
    if short == word or (word.startswith(short) and len(short) >= 2):
        return True
    if len(short) < 3:
        return False
    it = iter(word)
    return all(ch in it for ch in short)


def abbreviates(compact: str, words: tuple[str, ...]) -> bool:
    """`compact` (one identifier word such as "deptname") is `words` run together, each part an
    abbreviation of its word ("dept" + "name" for "department name")."""
    if not words:
        return not compact
    word, rest = words[0], words[1:]
    if not rest:
        return is_abbreviation(compact, word)
    for cut in range(2 if len(word) > 1 else 1, len(compact) - len(rest) + 1):
        if is_abbreviation(compact[:cut], word) and abbreviates(compact[cut:], rest):
            return True
    return False
