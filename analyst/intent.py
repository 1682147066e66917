"""What a question asks, as a structure: measures, groupings, time buckets, filters, ranking and
chart wishes. `parse_question` reads the words against the vocabulary and the catalog's phrases;
where a word could mean two things, or nothing, it says so (`Clarify`, `Decline`) rather than
guessing."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from analyst import vocabulary as V
from analyst.schema import Col, Met, Schema
from analyst.vocabulary import Agg, ChartType, Grain, normalize, singular

# --------------------------------------------------------------------------------------------
# The structure


@dataclass(frozen=True)
class Measure:
    """One value column of the answer. `kind`: `agg` (AGG(col)), `count` (rows or distinct keys of
    `table`), `distinct` (distinct values of `col`), `buckets` (distinct time buckets), `metric` (a
    curated expression) or `ratio` (`num` / `den`)."""

    kind: Literal["agg", "count", "distinct", "buckets", "metric", "ratio"]
    label: str
    agg: Agg | None = None
    col: Col | None = None
    table: str | None = None
    metric: Met | None = None
    num: Measure | None = None
    den: Measure | None = None
    grain: Grain | None = None
    percent: bool = False

    def tables(self) -> list[str]:
        """Tables whose rows this measure aggregates."""
        if self.kind == "ratio":
            assert self.num is not None and self.den is not None
            return self.num.tables() + self.den.tables()
        if self.kind == "metric":
            assert self.metric is not None
            return [self.metric.table]
        if self.col is not None:
            return [self.col.table]
        return [self.table] if self.table else []


@dataclass(frozen=True)
class Filter:
    col: Col
    values: tuple[str, ...]
    negate: bool = False


@dataclass(frozen=True)
class TimeRange:
    """`kind`: years (values), year_between (a, b), since (a), before (a), last (a units),
    quarter (year a or 0, quarter b), month (year a or 0, month b)."""

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
            name = V.MONTH_NAMES[self.b - 1].capitalize()
            return f"in {name} {self.a}" if self.a else f"in {name}"
        return ""


@dataclass(frozen=True)
class Intent:
    question: str
    measures: tuple[Measure, ...] = ()
    dimensions: tuple[Col, ...] = ()
    grain: Grain | None = None
    time_col: Col | None = None
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
    # Tables the question names without measuring or grouping by them ("price of bookings"):
    # they decide between columns of the same name.
    mentioned: tuple[str, ...] = ()


@dataclass(frozen=True)
class Clarify:
    """Two or more readings are plausible: the user picks one. Each option is a complete question
    that reads one way only."""

    question: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Decline:
    """No reading is plausible (or the request is one Vizorch never runs). `understood` is what
    the analyst made of it, for the message."""

    reason: Literal["destructive", "out_of_scope", "not_understood", "unsupported"]
    detail: str
    understood: str = ""


@dataclass(frozen=True)
class NeedsLookup:
    """Words that may be values of columns whose samples do not list every value: look them up
    in the data before deciding."""

    phrases: tuple[str, ...]


Parsed = Intent | Clarify | Decline | NeedsLookup


# --------------------------------------------------------------------------------------------
# Matching words to the vocabulary and the catalog


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    kind: str
    payload: object
    # Several catalog things share these words: decided later from the rest of the question.
    candidates: tuple[object, ...] = ()
    text: str = ""
    # The same words' other readings in the catalog, by kind (a metric named like a table).
    alts: tuple[tuple[str, tuple[object, ...]], ...] = ()


def _vocab_phrases() -> list[tuple[tuple[str, ...], str, object]]:
    out: list[tuple[tuple[str, ...], str, object]] = []

    def add(phrase: str, kind: str, payload: object = None) -> None:
        tokens = tuple(singular(w) for w in normalize(phrase).split())
        if tokens:
            out.append((tokens, kind, payload))

    for p, g in V.GRAIN_PHRASES.items():
        add(p, "grain", g)
    for p in V.TREND_PHRASES:
        add(p, "trend")
    for p, gg in V.GROWTH_PHRASES.items():
        add(p, "growth", gg)
    for p in V.SHARE_PHRASES:
        add(p, "share")
    for p, ct in V.CHART_PHRASES.items():
        add(p, "chart", ct)
    for p, cs in V.COLOR_PHRASES.items():
        add(p, "color", cs)
    for p, agg in V.AGG_PHRASES.items():
        add(p, "agg", agg)
    for p in V.COUNT_PHRASES:
        add(p, "count")
    for p in V.DISTINCT_PHRASES:
        add(p, "distinct")
    for p in V.NEW_PHRASES:
        add(p, "new")
    for p in V.DESC_PHRASES:
        add(p, "order", "desc")
    for p in V.ASC_PHRASES:
        add(p, "order", "asc")
    for p in V.NEGATION_PHRASES:
        add(p, "negate")
    for p in V.LABEL_ON:
        add(p, "labels", True)
    for p in V.LABEL_OFF:
        add(p, "labels", False)
    for p in V.ALL_TIME:
        add(p, "all_time")
    for p in V.REVERSE_PHRASES:
        add(p, "reverse")
    for p in V.NOISE_PHRASES:
        add(p, "noise")
    for p in V.CLEAR_FILTER_PHRASES:
        add(p, "clear_filters")
    for p in V.UNSUPPORTED_PHRASES:
        add(p, "unsupported")
    for p in V.VERSUS_PHRASES:
        add(p, "versus")
    for p in V.ADD_CUES:
        add(p, "add")
    for p in V.FOLLOW_CUES:
        add(p, "follow")
    return out


_VOCAB = _vocab_phrases()
_VOCAB_WORDS = frozenset(w for p, _, _ in _VOCAB for w in p) | set(V.MONTH_NAMES)


class Lexicon:
    """Every phrase a question may use, the vocabulary's and the catalog's, by their words."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.index: dict[tuple[str, ...], list[tuple[str, object, int]]] = {}
        for tokens, kind, payload in _VOCAB:
            self.index.setdefault(tokens, []).append((kind, payload, -1))
        for p in schema.phrases:
            self.index.setdefault(p.tokens, []).append((p.kind, p.target, p.rank))
        self.longest = max((len(k) for k in self.index), default=1)
        self.value_stems: dict[str, list[tuple[Col, str]]] = {}
        for p in schema.phrases:
            if p.kind == "value" and len(p.tokens) == 1 and isinstance(p.target, tuple):
                col, value = p.target
                assert isinstance(col, Col) and isinstance(value, str)
                self.value_stems.setdefault(V.stem(p.tokens[0]), []).append((col, value))
        # Column names written as one run-together word ("shipmode", "acctbal"), for questions
        # that spell the words out.
        self.compact: list[tuple[str, Col]] = []
        for t in schema.tables.values():
            for c in t.columns:
                stripped = c.name[len(t.prefix) :] if t.prefix else c.name
                compact = re.sub(r"[^a-z0-9]", "", stripped.lower())
                if len(compact) >= 3:
                    self.compact.append((compact, c))
        self.targets = sorted(w for w in schema.words | _VOCAB_WORDS if len(w) >= 4)
        self.known = (
            schema.words | schema.value_words | _VOCAB_WORDS | V.STOPWORDS | V.ACTIVITY_WORDS
        )

    def lookup(self, tokens: tuple[str, ...]) -> list[tuple[str, object, int]]:
        return self.index.get(tokens, [])

    def abbreviated(self, tokens: tuple[str, ...]) -> list[Col]:
        joined = "".join(tokens)
        exact = [c for compact, c in self.compact if compact == joined]
        if exact:
            return exact
        if len(tokens) < 2:
            return []
        found = [c for compact, c in self.compact if V.abbreviates(compact, tokens)]
        if not found and len(tokens) == 2:
            # "maximum temperature" for `temp_max`.
            flipped = (tokens[1], tokens[0])
            found = [c for compact, c in self.compact if V.abbreviates(compact, flipped)]
        return found


_LEXICONS: dict[int, Lexicon] = {}


def lexicon_for(schema: Schema) -> Lexicon:
    lex = _LEXICONS.get(id(schema))
    if lex is None or lex.schema is not schema:
        if len(_LEXICONS) > 16:
            _LEXICONS.clear()
        lex = _LEXICONS[id(schema)] = Lexicon(schema)
    return lex


_KIND_ORDER = {"metric": 0, "table": 1, "column": 2, "value": 3}


def find_matches(tokens: list[str], lex: Lexicon) -> tuple[list[Match], list[bool]]:
    """Longest phrases first, wherever they are ("day of week" before "by day"). At one span the
    vocabulary wins over the catalog unless the words follow "by"/"per" (then "area" is the
    catalog's, not a chart type)."""
    keys = [singular(t) for t in tokens]
    used = [False] * len(tokens)
    matches: list[Match] = []
    for n in range(min(lex.longest, len(tokens)), 0, -1):
        for i in range(len(tokens) - n + 1):
            if any(used[i : i + n]):
                continue
            found = _match_at(tokens, keys, i, n, lex)
            if found is None:
                continue
            matches.append(found)
            for j in range(found.start, found.end):
                used[j] = True
    # A second chance for one-word values written differently ("canceled", "returns").
    for i, tok in enumerate(tokens):
        if used[i] or tok in V.STOPWORDS:
            continue
        hits = lex.value_stems.get(V.stem(singular(tok)))
        if hits:
            matches.append(Match(i, i + 1, "value", hits[0], tuple(hits), tok))
            used[i] = True
    matches.sort(key=lambda m: m.start)
    return matches, used


def _match_at(tokens: list[str], keys: list[str], i: int, n: int, lex: Lexicon) -> Match | None:
    span = tuple(keys[i : i + n])
    hits = lex.lookup(span)
    text = " ".join(tokens[i : i + n])
    catalog = [h for h in hits if h[2] >= 0]
    vocab = [h for h in hits if h[2] < 0]
    after_by = i > 0 and tokens[i - 1] in V.GROUP_WORDS
    if catalog and (not vocab or (after_by and vocab[0][0] == "chart")):
        best = min(h[2] for h in catalog)
        top = [h for h in catalog if h[2] == best]
        kind = min((h[0] for h in top), key=lambda k: _KIND_ORDER[k])
        targets = tuple(_unique(h[1] for h in top if h[0] == kind))
        alts = tuple(
            (k, tuple(_unique(h[1] for h in catalog if h[0] == k)))
            for k in dict.fromkeys(h[0] for h in catalog)
            if k != kind
        )
        return Match(i, i + n, kind, targets[0], targets, text, alts)
    if vocab:
        kind, payload, _ = vocab[0]
        return Match(i, i + n, kind, payload, (), text)
    if n <= 3 and not all(k in V.STOPWORDS for k in span):
        cols = lex.abbreviated(span)
        if cols:
            return Match(i, i + n, "column", cols[0], tuple(cols), text)
    return None


def _unique(items: Iterable[object]) -> list[object]:
    out: list[object] = []
    for item in items:
        if not any(item is o or item == o for o in out):
            out.append(item)
    return out


def correct_typos(tokens: list[str], lex: Lexicon) -> list[str]:
    targets = lex.targets
    out = []
    for tok in tokens:
        if tok in lex.known or singular(tok) in lex.known or tok.isdigit() or len(tok) < 4:
            out.append(tok)
            continue
        close = difflib.get_close_matches(tok, targets, n=1, cutoff=0.75 if len(tok) >= 5 else 0.8)
        out.append(close[0] if close else tok)
    return out


# --------------------------------------------------------------------------------------------
# Numbers and dates written in the question

_YEAR = r"(?:1[5-9]|20)\d{2}"
_UNITS: dict[str, Grain] = {
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


def _number(tok: str) -> int:
    return int(tok) if tok.isdigit() else V.NUMBER_WORDS[tok]


def extract_time(text: str) -> tuple[TimeRange | None, str]:
    """A time range written with numbers, and the text without it."""
    num = r"(\d+|" + "|".join(V.NUMBER_WORDS) + r")"
    unit = r"(days?|weeks?|months?|quarters?|years?)"
    months = "|".join((*V.MONTH_NAMES, *sorted(V.MONTH_ABBR, key=len, reverse=True)))
    patterns: list[tuple[str, str]] = [
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
        (rf"\b(?:since|after|starting)\s+({_YEAR})\b", "since"),
        (rf"\b(?:before|until|prior to)\s+({_YEAR})\b", "before"),
        (rf"\b({months})\s+({_YEAR})\b", "month_year"),
        (rf"\bin\s+({months})\b", "month_only"),
    ]
    for pat, kind in patterns:
        m = re.search(pat, text)
        if not m:
            continue
        g = m.groups()
        rng: TimeRange
        if kind == "last_n":
            rng = TimeRange("last", a=_number(g[0]), unit=_UNITS[g[1]])
        elif kind == "last_1":
            rng = TimeRange("last", a=1, unit=_UNITS[g[0]])
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
        else:
            mon = V.MONTH_NAMES.index(g[0]) + 1 if g[0] in V.MONTH_NAMES else V.MONTH_ABBR[g[0]]
            rng = TimeRange("month", a=int(g[1]) if kind == "month_year" else 0, b=mon)
        return rng, text[: m.start()] + " " + text[m.end() :]
    years = re.findall(rf"\b({_YEAR})\b", text)
    if years:
        values = tuple(sorted({int(y) for y in years}))
        return TimeRange("years", values=values), re.sub(rf"\b{_YEAR}\b", " ", text)
    return None, text


def extract_top_n(text: str) -> tuple[int | None, Literal["asc", "desc"] | None, str]:
    num = r"(\d+|" + "|".join(V.NUMBER_WORDS) + r")"
    low_words = ("bottom", "worst", "lowest", "smallest", "last", "least", "fewest")
    patterns = [
        (rf"\b(top|best|highest|largest|biggest|leading|first)\s+{num}\b", 0),
        (rf"\b(bottom|worst|lowest|smallest|last)\s+{num}\b", 0),
        (rf"\b{num}\s+(best|top|highest|largest|biggest|worst|lowest|smallest|bottom)\b", 1),
        (rf"\blimit(?:ed)?\s+(?:to\s+)?{num}\b", 2),
        (rf"\b(?:which|what)\s+{num}\b", 3),
    ]
    for pat, shape in patterns:
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
            rest = text[m.end() :].split()
            word, n = ("bottom" if any(w in rest for w in low_words) else "top"), m.group(1)
        count = _number(n)
        if not 0 < count <= 1000:
            continue
        return (
            count,
            "asc" if word in low_words else "desc",
            text[: m.start()] + " " + text[m.end() :],
        )
    return None, None, text


def safety_check(text: str, tokens: list[str], schema: Schema) -> Decline | None:
    """Requests that would change data, or that are not questions about it."""
    toks = set(tokens) | {singular(t) for t in tokens}
    tables = {w for t in schema.tables.values() for w in (*t.singular.split(), *t.plural.split())}
    sql = V.SQL_WRITES.search(text)
    verb = None
    if not toks & V.CHART_OBJECTS:
        storage = toks & V.DATA_OBJECTS
        nouns = toks & (tables | {"all", "every"})
        verb = next(
            (
                t
                for t in tokens
                if (t in V.STRONG_DESTRUCTIVE and (storage or nouns))
                or (t in V.WEAK_DESTRUCTIVE and storage)
            ),
            None,
        )
    if sql or verb:
        word = (sql.group(1).split()[0] if sql else verb or "").upper()
        return Decline("destructive", word)
    for word, what in V.OUT_OF_SCOPE.items():
        if re.search(rf"\b{re.escape(word)}\b", text):
            return Decline("out_of_scope", what)
    return None


# --------------------------------------------------------------------------------------------
# Reading one message


@dataclass
class Parts:
    """What one message says, before it is merged with the conversation."""

    measures: list[Measure] = field(default_factory=list)
    dimensions: list[Match] = field(default_factory=list)
    grain: Grain | None = None
    time_col: Match | None = None
    trend: bool = False
    new: bool = False
    time_range: TimeRange | None = None
    all_time: bool = False
    filters: list[tuple[Match, bool]] = field(default_factory=list)
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
    unknown_at: list[int] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    singular_pick: bool = False
    versus: bool = False
    clear_filters: bool = False
    reverse: bool = False
    mentioned: list[str] = field(default_factory=list)
    # Measures whose column is still to be chosen among candidates: (index in measures, match).
    open_measures: list[tuple[int, Match, Agg | None]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    question: str = ""


def _agg_for(col: Col, asked: Agg | None) -> Agg:
    if asked is not None:
        return asked
    if col.aggregation in ("sum", "avg", "min", "max"):
        return col.aggregation  # type: ignore[return-value]
    return "sum" if col.role == "measure" else "avg"


def column_measure(col: Col, agg: Agg) -> Measure:
    label = col.name if agg == "sum" else f"{agg}_{col.name}"
    return Measure("agg", label, agg=agg, col=col, percent=col.format == "percent")


def count_measure(schema: Schema, table: str) -> Measure:
    leaf = table.rsplit(".", 1)[-1]
    label = "_".join(normalize(schema.tables[table].plural).split()) or leaf
    return Measure("count", f"number_of_{label}", table=table)


def metric_measure(metric: Met) -> Measure:
    label = "_".join(normalize(metric.name).split()) or "value"
    return Measure("metric", label, metric=metric, percent=metric.format == "percent")


def read_message(question: str, schema: Schema) -> Parts | Decline:
    lex = lexicon_for(schema)
    text = normalize(question)
    declined = safety_check(text, text.split(), schema)
    if declined:
        return declined
    parts = Parts(question=question)
    parts.follow = text.startswith(("and ", "also ", "plus "))
    parts.time_range, text = extract_time(text)
    parts.top_n, parts.order, text = extract_top_n(text)
    raw = text.split()
    corrected = correct_typos(raw, lex)
    tokens = corrected
    matches, used = find_matches(tokens, lex)
    # A correction that led nowhere is undone, so "paris" is looked up as written.
    for i, (orig, corr) in enumerate(zip(raw, corrected, strict=True)):
        if orig != corr and not used[i]:
            tokens[i] = orig
    parts.tokens = tokens
    parts.written = raw
    _interpret(parts, matches, tokens, schema)
    harmless = V.STOPWORDS | V.ACTIVITY_WORDS
    parts.unknown_at = [i for i, tok in enumerate(tokens) if not used[i] and tok not in harmless]
    parts.unknown = [raw[i] for i in parts.unknown_at]
    return parts


def _interpret(parts: Parts, matches: list[Match], tokens: list[str], schema: Schema) -> None:
    pending_agg: Agg | None = None
    pending_count = False
    pending_distinct = False
    negate_at = -10
    counted_any = any(m.kind == "count" for m in matches)
    measure_like = [
        m
        for m in matches
        if (m.kind == "metric" and "table" not in dict(m.alts)) or _is_measure_match(m)
    ]
    for idx, m in enumerate(matches):
        counted_as: Measure | None = None
        if m.kind == "metric":
            alt = dict(m.alts)
            cols = [c for c in alt.get("column", ()) if isinstance(c, Col)]
            if cols and pending_agg in ("avg", "min", "max"):
                # "average fare": the column, averaged, rather than the metric's total.
                m = replace(m, kind="column", payload=cols[0], candidates=tuple(cols))
            elif not alt.get("table"):
                # A metric named "number of X" for a table X counts X like the words would.
                words = m.text.split()
                for phrase in V.COUNT_PHRASES:
                    head = phrase.split()
                    rest = tuple(singular(w) for w in words[len(head) :])
                    if words[: len(head)] == head and rest:
                        tables = [t for k, t, _ in lexicon_for(schema).lookup(rest) if k == "table"]
                        if tables:
                            alt["table"] = (tables[0],)
                            pending_count = True
                        break
            if m.kind == "metric" and alt.get("table"):
                # A metric named like a table ("bookings") counts it where the table would be
                # counted, and is only a qualifier where the table would be ("cancelled bookings").
                assert isinstance(m.payload, Met)
                table = alt["table"][0]
                assert isinstance(table, str)
                counted_as = replace(
                    count_measure(schema, table), label=metric_measure(m.payload).label
                )
                m = replace(m, kind="table", payload=table, candidates=(table,))
        prev_tok = tokens[m.start - 1] if m.start > 0 else ""
        prev = matches[idx - 1] if idx > 0 else None
        nxt = matches[idx + 1] if idx + 1 < len(matches) else None
        after_by = prev_tok in V.GROUP_WORDS
        kind = m.kind
        if kind == "agg":
            pending_agg = m.payload  # type: ignore[assignment]
        elif kind == "count":
            pending_count = True
        elif kind == "distinct":
            pending_distinct = True
        elif kind == "negate":
            negate_at = m.end
        elif kind == "metric":
            assert isinstance(m.payload, Met)
            parts.measures.append(metric_measure(m.payload))
            pending_agg, pending_count = None, False
        elif kind == "column":
            cols = [c for c in m.candidates if isinstance(c, Col)]
            if (pending_count or pending_distinct) and not after_by:
                keyed = [c for c in cols if c.is_key]
                key_tables = {c.table for c in keyed if _table_key(schema, c)}
                if keyed and key_tables and len(key_tables) == 1 and len(keyed) == len(cols):
                    parts.measures.append(count_measure(schema, next(iter(key_tables))))
                elif len(cols) == 1:
                    c = cols[0]
                    parts.measures.append(Measure("distinct", f"distinct_{c.name}", col=c))
                else:
                    parts.measures.append(Measure("distinct", "distinct", col=cols[0]))
                    parts.open_measures.append((len(parts.measures) - 1, m, "count_distinct"))
                pending_agg, pending_count, pending_distinct = None, False, False
                continue
            time_cols = [c for c in cols if c.is_time]
            if time_cols and len(time_cols) == len(cols) and not pending_agg:
                # "by ship date": bucket by that column; "trips by start date in 1995" too.
                if after_by and parts.grain is None:
                    parts.grain = "year" if time_cols[0].time_part == "year" else "day"
                parts.time_col = m
                continue
            numeric = [c for c in cols if c.is_numeric and not c.is_key]
            groupable = [c for c in cols if c.is_groupable]
            ranked_by = after_by and not groupable and any(c.role == "measure" for c in numeric)
            if after_by and not ranked_by and (groupable or not pending_agg):
                parts.dimensions.append(replace(m, candidates=tuple(groupable or cols)))
            elif (
                numeric and (pending_agg is not None or any(c.role == "measure" for c in numeric))
            ) or (numeric and not groupable):
                chosen = numeric[0]
                if pending_agg is None:
                    # "total price": a column named with an aggregation is aggregated so.
                    pending_agg = V.AGG_PHRASES.get(m.text.split()[0])
                parts.measures.append(column_measure(chosen, _agg_for(chosen, pending_agg)))
                if len(numeric) > 1:
                    parts.open_measures.append(
                        (
                            len(parts.measures) - 1,
                            replace(m, candidates=tuple(numeric)),
                            pending_agg,
                        )
                    )
                if prev_tok == "per" and len(parts.measures) >= 2 and not parts.open_measures:
                    # "distance per litre": one measure divided by another.
                    den = parts.measures.pop()
                    num = parts.measures.pop()
                    parts.measures.append(
                        Measure("ratio", f"{num.label}_per_{den.label}", num=num, den=den)
                    )
                pending_agg, pending_count = None, False
            elif groupable:
                named = (
                    prev is not None
                    and prev.kind == "value"
                    and prev.end == m.start
                    and any(isinstance(h, tuple) and h[0] in cols for h in prev.candidates)
                )
                # "the express class": the column only names the kind of the value before.
                if not named:
                    parts.dimensions.append(replace(m, candidates=tuple(groupable)))
                if prev_tok in ("which", "what") and tokens[m.start] == singular(tokens[m.start]):
                    parts.singular_pick = True
            else:
                parts.unknown.append(m.text)
        elif kind == "table":
            table = str(m.payload)
            # "top 10 members by ...": the first noun of a ranking is what is ranked.
            ranked = (
                parts.top_n is not None
                and not pending_count
                and not parts.dimensions
                and not any(x.kind == "table" for x in matches[:idx])
                and "by" in tokens[m.end :]
            )
            picked_by_order = prev is not None and prev.kind == "order" and prev.end == m.start
            others = [x for x in measure_like if x is not m] + [
                x for x in matches if x.kind == "table" and x.start < m.start
            ]
            listed = (
                prev_tok in ("and", "&", "plus")
                and prev is not None
                and prev.kind in ("metric", "column", "table")
                and bool(parts.measures)
            )
            qualifies = (
                nxt is not None
                and nxt.start == m.end
                and (nxt.kind == "metric" or _is_measure_match(nxt))
            )
            counted = counted_as or count_measure(schema, table)
            if (
                pending_count
                or (pending_agg == "sum" and not qualifies)
                or (listed and not after_by)
            ):
                parts.measures.append(counted)
                pending_agg, pending_count = None, False
            elif after_by and parts.top_n is not None and parts.dimensions and not parts.measures:
                # "top 10 members by bookings": what follows "by" in a ranking is measured.
                parts.measures.append(counted)
            elif after_by or ranked or picked_by_order:
                label = schema.tables[table].label_column
                if label is None:
                    parts.unknown.append(m.text)
                else:
                    parts.dimensions.append(
                        replace(m, kind="column", payload=label, candidates=(label,))
                    )
                    if prev_tok in ("which", "what") and tokens[m.start] == singular(
                        tokens[m.start]
                    ):
                        parts.singular_pick = True
            elif qualifies and not counted_any:
                # "member fees": the noun qualifies the measure that follows.
                parts.mentioned.append(table)
            elif others or (prev_tok in V.ACTIVITY_WORDS and parts.measures):
                parts.mentioned.append(table)
            else:
                # "members by club": an entity noun with nothing else measured is counted.
                parts.measures.append(counted)
        elif kind == "value":
            negate = 0 <= m.start - negate_at <= 1
            if negate:
                negate_at = m.end
            parts.filters.append((m, negate))
        elif kind == "grain":
            if pending_count and parts.grain is None:
                # "number of days": distinct time buckets are counted.
                parts.measures.append(
                    Measure("buckets", f"number_of_{m.payload}s", grain=m.payload)  # type: ignore[arg-type]
                )
                pending_count = False
            else:
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
        elif kind == "clear_filters":
            parts.clear_filters = True
        elif kind == "unsupported":
            parts.unsupported.append(m.text)
        elif kind == "versus":
            parts.versus = True
        elif kind == "follow":
            parts.follow = True
        elif kind == "add":
            parts.add = True
    if pending_agg is not None and not parts.measures:
        # "average by club" with nothing to average: left for the caller to report.
        parts.unknown.append(next(m.text for m in matches if m.kind == "agg"))


def _is_measure_match(m: Match) -> bool:
    return m.kind == "column" and any(
        isinstance(c, Col) and c.is_numeric and c.role == "measure" for c in m.candidates
    )


def _table_key(schema: Schema, col: Col) -> bool:
    key = schema.tables[col.table].key
    return key is not None and key.name == col.name


# --------------------------------------------------------------------------------------------
# From one message to the conversation's intent


def parse_question(
    question: str, schema: Schema, previous: Intent | None = None, *, looked_up: bool = False
) -> Parsed:
    """The intent of `question`, merged with `previous` when it refines the last answer."""
    parts = read_message(question, schema)
    if isinstance(parts, Decline):
        return parts
    if parts.unsupported:
        return Decline("unsupported", ", ".join(f'"{w}"' for w in parts.unsupported))
    if parts.unknown:
        if not looked_up:
            return NeedsLookup(tuple(_lookup_phrases(parts)))
        return _unknown_words(question, parts, schema, previous)
    full = bool(parts.measures) and bool(parts.dimensions or parts.grain or parts.trend)
    standalone = bool(parts.measures) and (
        not (parts.follow or parts.add) or (full and not parts.add)
    )
    if previous is None or standalone:
        if not parts.measures:
            return Decline("not_understood", "no measure", understood=_understood(parts))
        return _finish(question, parts, None, schema)
    return _finish(question, parts, previous, schema)


def _lookup_phrases(parts: Parts) -> list[str]:
    """Word runs around each unknown word ("new york", "acme corp"), most words first."""
    out: list[str] = []
    words = parts.written
    for i in parts.unknown_at:
        for start in range(max(i - 2, 0), i + 1):
            for end in range(min(i + 3, len(words)), i, -1):
                phrase = " ".join(words[start:end])
                if phrase not in out and not all(w in V.STOPWORDS for w in words[start:end]):
                    out.append(phrase)
    return out or list(parts.unknown)


def _unknown_words(
    question: str, parts: Parts, schema: Schema, previous: Intent | None
) -> Clarify | Decline:
    words = ", ".join(f"\u201c{w}\u201d" for w in dict.fromkeys(parts.unknown))
    # The question without the words it does not know: offered, never assumed.
    rest = [w for i, w in enumerate(question.split()) if normalize(w) not in parts.unknown]
    reduced = " ".join(rest).strip(" ?.!")
    if parts.measures and reduced:
        again = read_message(reduced, schema)
        if isinstance(again, Parts) and not again.unknown and not again.unsupported:
            finished = _finish(reduced, again, previous, schema)
            if isinstance(finished, Intent):
                return Clarify(
                    f"I don't know what {words} means in this data. Did you mean this?",
                    (reduced[:1].upper() + reduced[1:],),
                )
    return Decline(
        "not_understood",
        f"I don't know what {words} refers to in this data",
        understood=_understood(parts),
    )


def _understood(parts: Parts) -> str:
    bits = [m.label.replace("_", " ") for m in parts.measures]
    bits += [str(getattr(d.payload, "label", d.text)) for d in parts.dimensions]
    if parts.grain:
        bits.append(f"by {parts.grain}")
    return ", ".join(bits)


def _finish(question: str, p: Parts, base: Intent | None, schema: Schema) -> Parsed:
    resolved = _resolve(p, schema, base)
    if isinstance(resolved, Clarify):
        return resolved
    dims, filters, time_col, measures = resolved
    grain = p.grain or p.growth_grain
    if grain is None and (p.trend or p.growth) and not dims:
        grain = "year" if p.growth else "month"
    if base is None:
        # "rail vs road X": two values of one column are compared, so split by it.
        for f in filters:
            room = len(dims) + (1 if grain else 0) < 2
            if len(f.values) > 1 and not f.negate and f.col not in dims and room:
                dims = (*dims, f.col)
        compare_years = grain is None and p.time_range is not None and len(p.time_range.values) > 1
        if compare_years:
            grain = "year"
        intent = Intent(
            question=question,
            measures=tuple(dict.fromkeys(measures)),
            dimensions=tuple(dict.fromkeys(dims)),
            grain=grain,
            time_col=time_col,
            new_entities=p.new,
            time_range=p.time_range,
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
            mentioned=tuple(p.mentioned),
        )
    else:
        intent = _merge(question, base, p, grain, dims, filters, time_col, measures)
    if intent.growth and intent.grain is None:
        intent = replace(intent, grain="year")
    if intent.share and not intent.dimensions and intent.grain is None:
        return Decline(
            "not_understood", "a share needs something to split by", understood=_understood(p)
        )
    if not intent.measures:
        return Decline("not_understood", "no measure", understood=_understood(p))
    return intent


def _resolve(
    p: Parts, schema: Schema, base: Intent | None
) -> tuple[tuple[Col, ...], tuple[Filter, ...], Col | None, list[Measure]] | Clarify:
    """Choose between columns of the same name from the rest of the question: the tables it
    measures and names first, then the tables reachable from them."""
    measures = list(p.measures)
    open_at = {index for index, _, _ in p.open_measures}
    fixed = [t for i, m in enumerate(measures) if i not in open_at for t in m.tables()]
    if base is not None and not measures:
        fixed += [t for m in base.measures for t in m.tables()]
    grouped = [
        d.candidates[0].table
        for d in p.dimensions
        if len(d.candidates) == 1 and isinstance(d.candidates[0], Col)
    ]
    for index, m, agg in p.open_measures:
        cols = [c for c in m.candidates if isinstance(c, Col)]
        chosen = _pick(cols, [*p.mentioned, *fixed], {}, measured=True)
        if chosen is None and grouped:
            # The measured table must reach what the question groups by.
            fit = [c for c in cols if all(t in schema.many_to_one(c.table) for t in grouped)]
            chosen = fit[0] if len(fit) == 1 else None
        if chosen is None:
            return _clarify_column(p, m, cols, schema)
        old = measures[index]
        if old.kind == "distinct":
            measures[index] = Measure("distinct", f"distinct_{chosen.name}", col=chosen)
        else:
            measures[index] = column_measure(chosen, _agg_for(chosen, agg))
    anchors = [t for m in measures for t in m.tables()] + p.mentioned
    if base is not None and not measures:
        anchors += [t for m in base.measures for t in m.tables()]
    reach: dict[str, int] = {}
    for t in dict.fromkeys(anchors):
        for other, dist in schema.many_to_one(t).items():
            reach[other] = min(reach.get(other, 99), dist)
    dims: list[Col] = []
    for d in p.dimensions:
        cols = [c for c in d.candidates if isinstance(c, Col)]
        chosen = _pick(cols, p.mentioned, reach)
        if chosen is None:
            return _clarify_column(p, d, cols, schema)
        dims.append(chosen)
    filters: list[Filter] = []
    for f, negate in p.filters:
        hits = [h for h in f.candidates if isinstance(h, tuple)]
        cols = list(dict.fromkeys(h[0] for h in hits))
        chosen = _pick(cols, p.mentioned, reach)
        if chosen is None:
            return _clarify_column(p, f, cols, schema, value=True)
        value = next(h[1] for h in hits if h[0] == chosen)
        for i, g in enumerate(filters):
            if g.col == chosen and g.negate == negate:
                filters[i] = replace(g, values=(*g.values, value))
                break
        else:
            filters.append(Filter(chosen, (value,), negate))
    time_col = None
    if p.time_col is not None:
        cols = [c for c in p.time_col.candidates if isinstance(c, Col)]
        time_col = _pick(cols, p.mentioned, reach)
        if time_col is None:
            return _clarify_column(p, p.time_col, cols, schema)
    return tuple(dims), tuple(filters), time_col, measures


def _pick(
    cols: list[Col], mentioned: list[str], reach: dict[str, int], measured: bool = False
) -> Col | None:
    """One column, when the question's tables single it out; None when two stay plausible."""
    cols = list(dict.fromkeys(cols))
    if len(cols) == 1:
        return cols[0]
    named = [c for c in cols if c.table in mentioned]
    if len(named) == 1:
        return named[0]
    if reach:
        reachable = [c for c in cols if c.table in reach]
        if len(reachable) == 1:
            return reachable[0]
        if reachable and not measured:
            nearest = min(reach[c.table] for c in reachable)
            closest = [c for c in reachable if reach[c.table] == nearest]
            if len(closest) == 1 and nearest == 0:
                return closest[0]
    return None


def _clarify_column(
    p: Parts, m: Match, cols: list[Col], schema: Schema, value: bool = False
) -> Clarify:
    """Ask which column a phrase means; each option names one explicitly."""
    options = []
    for c in cols[:5]:
        table = schema.tables[c.table]
        label = normalize(c.label)
        if not label.startswith(table.singular):
            label = f"{table.singular} {label}"
        phrase = f"{m.text} ({label})" if value else label
        options.append(_rewrite(p.question, m.text, phrase))
    what = f"\u201c{m.text}\u201d"
    kind = "value" if value else "column"
    return Clarify(f"Which {kind} do you mean by {what}?", tuple(dict.fromkeys(options)))


def _rewrite(question: str, words: str, phrase: str) -> str:
    """`question` with the words of `words` (as normalised) replaced by `phrase`."""
    pattern = r"\b" + r"\W+".join(re.escape(w) for w in words.split()) + r"\w*\b"
    text, n = re.subn(pattern, phrase, question, count=1, flags=re.I)
    if not n:
        text = f"{question.rstrip(' ?.!')} ({phrase})"
    return text[:1].upper() + text[1:]


def _merge(
    question: str,
    prev: Intent,
    p: Parts,
    grain: Grain | None,
    new_dims: tuple[Col, ...],
    new_filters: tuple[Filter, ...],
    time_col: Col | None,
    new_measures: list[Measure],
) -> Intent:
    """A follow-up keeps everything it does not mention and replaces what it does."""
    measures = prev.measures
    if new_measures:
        if p.add:
            measures = tuple(dict.fromkeys((*prev.measures, *new_measures)))
        else:
            measures = tuple(new_measures)
    dims, new_grain = prev.dimensions, prev.grain
    regrouped = bool(new_dims) or grain is not None
    if regrouped:
        if p.add:
            dims = tuple(dict.fromkeys((*prev.dimensions, *new_dims)))
            new_grain = grain or prev.grain
        else:
            dims, new_grain = new_dims, grain
    filters = [] if p.clear_filters else list(prev.filters)
    for f in new_filters:
        filters = [g for g in filters if g.col != f.col]
        filters.append(f)
    time_range = None if p.all_time else (p.time_range or prev.time_range)
    # A ranking belongs to its grouping: "by month instead" after "top 3 X" drops it.
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
        time_col=time_col or prev.time_col,
        new_entities=p.new or (prev.new_entities and not new_measures),
        time_range=time_range,
        filters=tuple(filters),
        top_n=top_n,
        order=order,
        share=p.share or (prev.share and not regrouped),
        growth=p.growth or (prev.growth and not new_measures),
        chart=chart,
        color_scheme=p.color or prev.color_scheme,
        show_labels=p.labels if p.labels is not None else prev.show_labels,
        versus=p.versus or (prev.versus and not new_measures),
        compare_years=prev.compare_years and not regrouped and p.time_range is None,
        mentioned=tuple(dict.fromkeys((*prev.mentioned, *p.mentioned))),
    )
