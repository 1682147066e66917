"""Join paths between tables, inferred from names and from values. From names: `x_id` ↔ `x.id`,
the same key column in two tables (`loans.member_id` ↔ `members.member_id`), prefixed keys
(`l_membkey` ↔ `m_membkey`). From values: a column whose values are all found in another table's
unique key under another name (`loans.picked_up_at` ⊂ `branches.code`); the profiler runs those
checks, this module only chooses which pairs are worth a query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from executors.catalog import naming
from executors.catalog.model import Relationship
from executors.catalog.roles import CODE_WORDS, IDENTIFIER_WORDS, TypeFamily, is_numeric

# An integer column is checked against a key only when it has at least this share of the key's
# distinct values (or an id-like name): small integer ranges sit inside any 1..N key by chance.
INTEGER_COVERAGE = 0.5


@dataclass
class KeyColumn:
    """A column as relationship inference sees it."""

    name: str
    family: TypeFamily
    unique: bool = False
    non_null: int | None = None
    distinct: int | None = None
    min: str | None = None
    max: str | None = None
    # Role-level veto: measures, times and free text never reference a key.
    may_reference: bool = True


@dataclass
class KeyTable:
    name: str
    columns: list[KeyColumn]
    row_count: int | None = None
    primary_key: list[str] = field(default_factory=list)
    declared: list[tuple[str, str, str]] = field(default_factory=list)  # (column, table, column)

    @property
    def prefix(self) -> str:
        return naming.column_prefix([c.name for c in self.columns])

    def column(self, name: str) -> KeyColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    def key_columns(self) -> list[KeyColumn]:
        """Single columns that identify a row: the declared key, else unique columns."""
        if len(self.primary_key) == 1:
            found = self.column(self.primary_key[0])
            return [found] if found is not None else []
        return [c for c in self.columns if c.unique and c.family in {"integer", "string"}]


def by_name(tables: Sequence[KeyTable]) -> list[Relationship]:
    """Declared foreign keys, then name matches to another table's key (one target per column:
    the table the column is named after when several keys share its name)."""
    found: list[Relationship] = []
    taken: set[tuple[str, str]] = set()
    for table in tables:
        for name, to_table, to_column in table.declared:
            found.append(_relationship(table, name, to_table, to_column, "declared"))
            taken.add((table.name, name))
    # `shop` in sales names the table shops: a reference even without an id-like word.
    owners = {_owner(t) for t in tables}
    for table in tables:
        prefix = table.prefix
        own_key = table.primary_key if len(table.primary_key) == 1 else []
        for column in table.columns:
            if (table.name, column.name) in taken:
                continue
            if not column.may_reference and naming.stem(column.name, prefix) not in owners:
                continue
            column_stem = naming.stem(column.name, prefix)
            if not id_like(column_stem) and column_stem not in owners:
                continue
            targets = []
            for other in tables:
                if other.name == table.name:
                    continue
                for key in other.key_columns():
                    if _names_match(table, column, column_stem, other, key):
                        targets.append((other, key))
            if not targets:
                continue
            target = _preferred(column_stem, targets)
            if target is None:
                continue
            other, key = target
            # A table's own key references another table only when it is named after that
            # table, not its own (member_details.member_id → members, never the reverse).
            if (column.name in own_key or column.unique) and (
                _named_after(column_stem, table) or not _named_after(column_stem, other)
            ):
                continue
            found.append(_relationship(table, column.name, other.name, key.name, "inferred_name"))
            taken.add((table.name, column.name))
    return found


def value_candidates(
    tables: Sequence[KeyTable], known: Sequence[Relationship], limit: int
) -> list[tuple[KeyTable, KeyColumn, KeyTable, KeyColumn]]:
    """Pairs (column, key of another table) whose containment is worth a query: compatible
    types, no relationship yet, fewer distinct values than the key, a value range inside the
    key's. At most `limit`, id-like names first."""
    related = {(r.from_table, r.from_column) for r in known}
    pairs = []
    for table in tables:
        prefix = table.prefix
        for column in table.columns:
            if (
                (table.name, column.name) in related
                or not column.may_reference
                or column.unique
                or column.name in table.primary_key
                or not column.distinct
                or column.distinct < 2
            ):
                continue
            words = naming.stem(column.name, prefix).split("_")
            id_name = bool(set(words) & (IDENTIFIER_WORDS | CODE_WORDS))
            for other in tables:
                if other.name == table.name:
                    continue
                for key in other.key_columns():
                    if _worth_checking(column, key, id_name):
                        pairs.append((not id_name, table, column, other, key))
    pairs.sort(key=lambda p: p[0])
    return [(t, c, o, k) for _, t, c, o, k in pairs[:limit]]


def from_values(
    table: KeyTable, column: KeyColumn, other: KeyTable, key: KeyColumn
) -> Relationship:
    return _relationship(table, column.name, other.name, key.name, "inferred_values")


def _worth_checking(column: KeyColumn, key: KeyColumn, id_name: bool) -> bool:
    if not key.distinct or column.distinct is None:
        return False
    if _family_group(column.family) != _family_group(key.family):
        return False
    if column.distinct > key.distinct * 1.1 + 2:  # approximate counts err by a few percent
        return False
    if (
        column.family == "integer"
        and not id_name
        and column.distinct < key.distinct * INTEGER_COVERAGE
    ):
        return False
    return _within(column, key)


def _within(column: KeyColumn, key: KeyColumn) -> bool:
    if None in (column.min, column.max, key.min, key.max):
        return True
    assert column.min is not None and column.max is not None
    assert key.min is not None and key.max is not None
    if is_numeric(column.family):
        try:
            return float(key.min) <= float(column.min) and float(column.max) <= float(key.max)
        except ValueError:
            return True
    return key.min <= column.min and column.max <= key.max


def _family_group(family: TypeFamily) -> str:
    return "number" if family in {"integer", "decimal"} else family


def id_like(column_stem: str) -> bool:
    last = column_stem.rsplit("_", 1)[-1]
    return last in IDENTIFIER_WORDS or last in CODE_WORDS or column_stem.endswith("id")


def _names_match(
    table: KeyTable, column: KeyColumn, column_stem: str, other: KeyTable, key: KeyColumn
) -> bool:
    if _family_group(column.family) != _family_group(key.family):
        return False
    if column.name.lower() == key.name.lower():
        return True
    key_stem = naming.stem(key.name, other.prefix)
    if column_stem == key_stem:
        return True
    owner = _owner(other)
    if column_stem == owner:
        return True  # `sales.shop` → the key of shops
    # `member_id` → members.id
    if key_stem in {"id", "key", "code"}:
        return column_stem in {f"{owner}_{key_stem}", f"{owner}{key_stem}"}
    return False


def _owner(table: KeyTable) -> str:
    """The stem a column naming this table has: `shops` → 'shop', `loan_items` → 'loan_item'."""
    return naming.stem(naming.singular(naming.table_leaf(table.name)))


def _named_after(column_stem: str, table: KeyTable) -> bool:
    words = column_stem.split("_")
    owner = _owner(table)
    return "_".join(words[:-1]) == owner or column_stem.startswith(owner)


def _preferred(
    column_stem: str, targets: list[tuple[KeyTable, KeyColumn]]
) -> tuple[KeyTable, KeyColumn] | None:
    if len(targets) == 1:
        return targets[0]
    named = [t for t in targets if _named_after(column_stem, t[0])]
    return named[0] if len(named) == 1 else None


def _relationship(
    table: KeyTable,
    column: str,
    to_table: str,
    to_column: str,
    origin: str,
) -> Relationship:
    info = table.column(column)
    one = bool(info is not None and (info.unique or table.primary_key == [column]))
    return Relationship(
        from_table=table.name,
        from_column=column,
        to_table=to_table,
        to_column=to_column,
        cardinality="one_to_one" if one else "many_to_one",
        origin=origin,  # type: ignore[arg-type]
    )
