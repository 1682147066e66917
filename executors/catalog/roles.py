"""What a column is for, guessed from its type, its words and its values: a role (measure,
dimension, time, identifier, geography, text), a default aggregation, a display format and, for
integer date parts, which part. Curators correct the guesses; see docs/catalog.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from executors.catalog.model import Aggregation, ColumnRole, TimePart, ValueFormat

TypeFamily = Literal[
    "integer", "decimal", "float", "string", "date", "timestamp", "time", "boolean", "other"
]

_INTEGER = re.compile(r"^(u?(tiny|small|big|huge)?int(eger)?\d*|long|short|byte|int\d+)$")
_DECIMAL = re.compile(r"^(decimal|numeric)(\(.*\))?$")
_FLOAT = re.compile(r"^(float\d*|double( precision)?|real)$")
_STRING = re.compile(r"^(varchar|string|text|char|bpchar|nvarchar|varchar\(\d+\)|char\(\d+\))$")

IDENTIFIER_WORDS = {"id", "key", "uuid", "guid", "pk", "fk"}
CODE_WORDS = {"code", "ref", "reference", "sku", "iso"}
GEOGRAPHY_WORDS = {
    "city", "country", "region", "state", "province", "county", "zip", "zipcode", "postcode",
    "postal", "continent", "nation", "latitude", "longitude", "territory", "district",
    "municipality", "town", "borough", "suburb", "location",
}  # fmt: skip
TEXT_WORDS = {
    "comment", "comments", "description", "note", "notes", "text", "remark", "remarks",
    "message", "body", "summary", "address", "email", "phone", "url", "street", "instruct",
    "instructions", "title", "review",
}  # fmt: skip
# Numeric words of an additive amount (summed by default).
SUM_WORDS = {
    "amount", "sales", "revenue", "profit", "cost", "costs", "quantity", "units", "total",
    "balance", "spend", "income", "fee", "fees", "volume", "count", "gross", "net",
    "budget", "salary", "payment", "value", "turnover", "earnings", "population",
    "votes", "precipitation", "weight", "distance", "duration", "minutes", "seconds", "hours",
}  # fmt: skip
# Numeric words of a level, a price or a rate (averaged by default).
AVG_WORDS = {
    "price", "rate", "ratio", "percent", "percentage", "discount", "average", "mean", "score",
    "rating", "age", "temperature", "speed", "size", "margin", "share", "latitude", "longitude",
    "wind", "humidity", "pressure", "length", "height", "width", "minimum", "maximum",
}  # fmt: skip
CURRENCY_WORDS = {
    "price", "cost", "amount", "sales", "revenue", "profit", "balance", "spend", "income", "fee",
    "fees", "salary", "payment", "budget", "gross", "turnover", "earnings", "usd", "eur",
    "dollars", "euros",
}  # fmt: skip
PERCENT_WORDS = {"percent", "percentage", "rate", "ratio", "discount", "tax", "share", "margin"}
TIME_PART_WORDS: dict[str, tuple[TimePart, float, float]] = {
    "year": ("year", 1000, 3000),
    "quarter": ("quarter", 1, 4),
    "month": ("month", 1, 12),
    "week": ("week", 0, 53),
    "day": ("day", 1, 31),
}
# An integer column with at most this many distinct values and no measure word is a category.
SMALL_INTEGER_DISTINCT = 12
LONG_TEXT_CHARS = 60
# A text-like name with at most this many values is a category (`ship_instruct`: 4 values).
FEW_VALUES = 50


def type_family(type_name: str) -> TypeFamily:
    lower = type_name.strip().lower()
    if _INTEGER.match(lower):
        return "integer"
    if _DECIMAL.match(lower):
        return "decimal"
    if _FLOAT.match(lower):
        return "float"
    if _STRING.match(lower) or lower.startswith(("varchar", "char(")):
        return "string"
    if lower == "date":
        return "date"
    if lower.startswith(("timestamp", "datetime")):
        return "timestamp"
    if lower.startswith("time"):
        return "time"
    if lower in {"boolean", "bool"}:
        return "boolean"
    return "other"


def is_numeric(family: TypeFamily) -> bool:
    return family in {"integer", "decimal", "float"}


@dataclass(frozen=True)
class ColumnFacts:
    """What the role guess reads: the column's words (prefix stripped, abbreviations expanded),
    its type and what the profile measured."""

    words: tuple[str, ...]
    type: str
    unique: bool = False
    primary_key: bool = False
    distinct_count: int | None = None
    min: str | None = None
    max: str | None = None
    avg_length: float | None = None
    is_reference: bool = False


@dataclass(frozen=True)
class Guess:
    role: ColumnRole
    aggregation: Aggregation
    format: ValueFormat
    time_part: TimePart | None = None


def guess(facts: ColumnFacts) -> Guess:
    family = type_family(facts.type)
    words = set(facts.words)
    last = facts.words[-1] if facts.words else ""
    if family in {"date", "timestamp", "time"}:
        return Guess("time", "none", "date" if family == "date" else "datetime")
    if _is_identifier(facts, family, words, last):
        return Guess("identifier", "count_distinct", "integer" if family == "integer" else "text")
    part = _time_part(facts, family, last)
    if part is not None:
        return Guess("time", "none", "integer", part)
    if words & GEOGRAPHY_WORDS and not (is_numeric(family) and words & SUM_WORDS):
        if is_numeric(family):  # latitude / longitude
            return Guess("geography", "avg", "number")
        return Guess("geography", "none", "text")
    if family == "boolean":
        return Guess("dimension", "none", "text")
    if is_numeric(family):
        return _numeric(facts, family, words)
    if family == "string":
        long_text = facts.avg_length is not None and facts.avg_length > LONG_TEXT_CHARS
        few = facts.distinct_count is not None and facts.distinct_count <= FEW_VALUES
        if (words & TEXT_WORDS and not few) or long_text:
            return Guess("text", "none", "text")
        return Guess("dimension", "none", "text")
    return Guess("text", "none", "text")


def _is_identifier(facts: ColumnFacts, family: TypeFamily, words: set[str], last: str) -> bool:
    if family not in {"integer", "string", "decimal", "other"}:
        return False
    if facts.primary_key or facts.is_reference:
        return True
    if last in IDENTIFIER_WORDS or (last.endswith("id") and len(last) <= 4 and last != "paid"):
        return True
    # A code that is unique in its table is a key; a repeated code is a category.
    return bool(last in CODE_WORDS and facts.unique)


def _time_part(facts: ColumnFacts, family: TypeFamily, last: str) -> TimePart | None:
    if family != "integer" or last not in TIME_PART_WORDS:
        return None
    part, low, high = TIME_PART_WORDS[last]
    try:
        lowest = float(facts.min) if facts.min is not None else None
        highest = float(facts.max) if facts.max is not None else None
    except ValueError:
        return None
    if lowest is None or highest is None:
        return part  # not profiled: trust the name
    return part if low <= lowest and highest <= high else None


def _numeric(facts: ColumnFacts, family: TypeFamily, words: set[str]) -> Guess:
    # An extended or total price is a line's amount, not a unit price.
    averaged = bool(words & AVG_WORDS) and not (words & {"total", "amount", "sales", "extended"})
    summed = bool(words & SUM_WORDS)
    small = facts.distinct_count is not None and facts.distinct_count <= SMALL_INTEGER_DISTINCT
    if family == "integer" and small and not (averaged or summed):
        return Guess("dimension", "none", "integer")
    if words & PERCENT_WORDS and family != "integer" and _fraction(facts):
        return Guess("measure", "avg", "percent")  # a rate: summing it means nothing
    if words & CURRENCY_WORDS:
        fmt: ValueFormat = "currency"
    else:
        fmt = "integer" if family == "integer" else "number"
    return Guess("measure", "avg" if averaged else "sum", fmt)


def _fraction(facts: ColumnFacts) -> bool:
    try:
        return facts.max is None or float(facts.max) <= 1.0
    except ValueError:
        return False
