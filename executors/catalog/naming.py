"""Readable names from column names: split snake_case, camelCase and run-together words
(`extendedprice`), strip a table's column prefix (TPC-H's `l_`, `o_`), expand common
abbreviations (qty → quantity). Pure functions; the profiler and the curators' defaults use them."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence

import wordninja

ABBREVIATIONS = {
    "qty": "quantity",
    "amt": "amount",
    "dt": "date",
    "num": "number",
    "no": "number",
    "nbr": "number",
    "nr": "number",
    "cust": "customer",
    "pct": "percent",
    "perc": "percent",
    "avg": "average",
    "min": "minimum",
    "max": "maximum",
    "acct": "account",
    "bal": "balance",
    "mkt": "market",
    "mfgr": "manufacturer",
    "mfr": "manufacturer",
    "supp": "supplier",
    "addr": "address",
    "desc": "description",
    "descr": "description",
    "cnt": "count",
    "tot": "total",
    "yr": "year",
    "mo": "month",
    "mon": "month",
    "qtr": "quarter",
    "wk": "week",
    "ts": "timestamp",
    "tm": "time",
    "dob": "date of birth",
    "prod": "product",
    "cat": "category",
    "dept": "department",
    "emp": "employee",
    "mgr": "manager",
    "org": "organization",
    "loc": "location",
    "lat": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    "long": "longitude",
    "temp": "temperature",
    "avail": "available",
    "ext": "extended",
    "cmt": "comment",
    "stat": "status",
    "wt": "weight",
    "ht": "height",
    "len": "length",
    "pop": "population",
    "std": "standard",
    "cd": "code",
    "nm": "name",
    "ctry": "country",
    "cntry": "country",
    "ord": "order",
    "inv": "invoice",
    "txn": "transaction",
    "trx": "transaction",
    "trans": "transaction",
    "req": "request",
    "ref": "reference",
    "seq": "sequence",
    "sku": "SKU",
    "id": "ID",
    "uuid": "UUID",
    "url": "URL",
    "usd": "USD",
    "eur": "EUR",
    "vat": "VAT",
}
# Words a label may keep in upper case.
_UPPER = {"ID", "UUID", "URL", "SKU", "USD", "EUR", "VAT"}
# Cost of an abbreviation in the word splitter: as cheap as a very common word, so `custkey`
# splits into `cust key` rather than `cu st key`.
_ABBREVIATION_COST = 4.0
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DIGITS = re.compile(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_SEPARATORS = re.compile(r"[\s_\-.:/]+")
# A column prefix shared by every column of a table: one to three letters and an underscore.
_PREFIX = re.compile(r"^([a-z]{1,3})_", re.IGNORECASE)


def words(name: str) -> list[str]:
    """The lower-case words of an identifier: separators, camelCase, digits, then run-together
    words split by word frequency (English Wikipedia unigrams, via wordninja)."""
    tokens: list[str] = []
    for part in _SEPARATORS.split(name):
        for piece in _DIGITS.split(_CAMEL.sub(" ", part)):
            for token in piece.split():
                tokens.extend(_split_run(token.lower()))
    return [t for t in tokens if t]


def _split_run(token: str) -> list[str]:
    if len(token) < 6 or token.isdigit() or token in ABBREVIATIONS or _known(token):
        return [token]
    parts = _segment(token)
    # A split into many short pieces is noise (a name, a code): keep the token whole.
    if any(len(p) < 2 for p in parts) or len(parts) > 4:
        return [token]
    return parts


def _known(token: str) -> bool:
    rank = _word_costs().get(token)
    return rank is not None and rank < 12.0


@functools.cache
def _word_costs() -> dict[str, float]:
    costs: dict[str, float] = dict(wordninja.DEFAULT_LANGUAGE_MODEL._wordcost)
    for short in ABBREVIATIONS:
        costs[short] = min(costs.get(short, math.inf), _ABBREVIATION_COST)
    return costs


def _segment(token: str) -> list[str]:
    """Minimum-cost split of `token` into known words (the dynamic programme of wordninja, over
    its costs plus our abbreviations)."""
    costs = _word_costs()
    longest = 20
    best: list[tuple[float, int]] = [(0.0, 0)]
    for end in range(1, len(token) + 1):
        options = [
            (best[start][0] + costs.get(token[start:end], 1e9), start)
            for start in range(max(0, end - longest), end)
        ]
        best.append(min(options))
    parts: list[str] = []
    end = len(token)
    while end > 0:
        start = best[end][1]
        parts.append(token[start:end])
        end = start
    return parts[::-1]


def column_prefix(columns: Sequence[str]) -> str:
    """The prefix every column of a table shares (`l_` in TPC-H's lineitem), or ''. A table of
    one column has no prefix to speak of."""
    if len(columns) < 2:
        return ""
    found = {m.group(0).lower() if (m := _PREFIX.match(c)) else "" for c in columns}
    return found.pop() if len(found) == 1 else ""


def strip_prefix(name: str, prefix: str) -> str:
    if prefix and name.lower().startswith(prefix) and len(name) > len(prefix):
        return name[len(prefix) :]
    return name


def expand(tokens: Iterable[str]) -> list[str]:
    out: list[str] = []
    for token in tokens:
        out.extend(ABBREVIATIONS.get(token, token).split())
    return out


def label(name: str, *, prefix: str = "", table: str = "") -> str:
    """A readable name for a column: `l_extendedprice` → 'extended price', `o_custkey` →
    'customer key', `order_dt` → 'order date'. A generic word left alone after the prefix is
    stripped (`n_name`) takes the table's name: 'nation name'."""
    stripped = strip_prefix(name, prefix)
    tokens = expand(words(stripped))
    if prefix and len(tokens) == 1 and tokens[0] in _GENERIC and table:
        tokens = [*expand(words(singular(table_leaf(table)))), *tokens]
    return _join(tokens) or name


def table_label(name: str) -> str:
    return _join(expand(words(table_leaf(name)))) or name


def stem(name: str, prefix: str = "") -> str:
    """The comparable core of a column name: prefix stripped, words expanded and joined, so
    `o_custkey` and `c_custkey` (and `cust_key`) have the same stem."""
    return "_".join(expand(words(strip_prefix(name, prefix)))).lower()


def table_leaf(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def singular(word: str) -> str:
    lower = word.lower()
    if lower.endswith("ies") and len(lower) > 4:
        return word[:-3] + "y"
    if lower.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _join(tokens: Sequence[str]) -> str:
    return " ".join(t if t in _UPPER else t.lower() for t in tokens)


_GENERIC = {"name", "key", "comment", "type", "id", "ID", "code", "status", "size", "description"}
