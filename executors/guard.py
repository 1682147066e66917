"""The SQL guard: every statement passes here before an engine sees it. It parses the statement with
sqlglot in the dialect it was written in, refuses anything but one read-only query, and hands the
engine SQL that sqlglot regenerated from the checked tree (never the caller's text, so a comment or
a tokenizer quirk cannot smuggle a second statement past the check), wrapped in a row limit and
transpiled to the engine's dialect.

Before any parsing the statement's size is bounded (bytes, tokens, bracket depth, set-operation
terms), and after parsing its tree (depth, nodes): a statement inside these limits is one that
sqlglot, the engine's parser and its planner handle in bounded time and memory."""

from __future__ import annotations

import logging
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from executors import sql_functions
from executors.engines.base import Dialect
from executors.errors import SqlRefused

READ_ONLY = "Vizorch runs read-only queries"
LIMITED_ALIAS = "_vizorch_rows"

# Statement and clause nodes that change state or reach outside the engine's tables. The label is
# the construct the refusal message names.
_FORBIDDEN_NODES: dict[str, str] = {
    "Insert": "INSERT",
    "Update": "UPDATE",
    "Delete": "DELETE",
    "Merge": "MERGE",
    "Create": "CREATE",
    "Drop": "DROP",
    "Alter": "ALTER",
    "TruncateTable": "TRUNCATE",
    "Copy": "COPY",
    "Attach": "ATTACH",
    "Detach": "DETACH",
    "Pragma": "PRAGMA",
    "Set": "SET",
    "Use": "USE",
    "Transaction": "BEGIN TRANSACTION",
    "Commit": "COMMIT",
    "Rollback": "ROLLBACK",
    "Install": "INSTALL",
    "Into": "SELECT ... INTO",
    "Describe": "DESCRIBE",
    "Summarize": "SUMMARIZE",
    "LoadData": "LOAD DATA",
    "Grant": "GRANT",
    "Revoke": "REVOKE",
    "Cache": "CACHE TABLE",
    "Uncache": "UNCACHE TABLE",
    "Refresh": "REFRESH",
    "Analyze": "ANALYZE",
    "Kill": "KILL",
    "Export": "EXPORT",
    "Show": "SHOW",
    "Comment": "COMMENT ON",
    "Execute": "EXECUTE",
    "Command": "This statement",  # named by its own keywords, see _command_label
}
FORBIDDEN_NODE_TYPES: tuple[tuple[type[exp.Expr], str], ...] = tuple(
    (getattr(exp, name), label) for name, label in _FORBIDDEN_NODES.items() if hasattr(exp, name)
)

# Leading keywords of statements sqlglot cannot parse (or parses as an opaque Command): named in the
# refusal so the message says what was refused rather than "could not parse".
FORBIDDEN_KEYWORDS = frozenset(
    {
        "ALTER", "ANALYZE", "ATTACH", "BEGIN", "CALL", "CHECKPOINT", "COMMENT", "COMMIT", "COPY",
        "CREATE", "DEALLOCATE", "DELETE", "DESCRIBE", "DETACH", "DROP", "EXECUTE", "EXPLAIN",
        "EXPORT", "FORCE", "GRANT", "IMPORT", "INSERT", "INSTALL", "LOAD", "MERGE", "PRAGMA",
        "PREPARE", "REFRESH", "RESET", "REVOKE", "ROLLBACK", "SET", "SHOW", "SUMMARIZE",
        "TRUNCATE", "UNINSTALL", "UPDATE", "UPSERT", "USE", "VACUUM",
    }
)  # fmt: skip

# Functions that read files, the network, other databases or the engine's own state, or run SQL
# from a string. Refused wherever they appear (select list, FROM, a subquery) unless allow-listed
# per engine, in every dialect; DuckDB statements may moreover only call the functions of
# executors.sql_functions (an allow-list), Spark statements anything not denied here.
DENIED_FUNCTIONS = frozenset(
    {
        "current_setting", "getenv", "glob", "query", "query_table", "read_blob", "read_text",
        "sniff_csv", "json_execute_serialized_sql", "parquet_metadata", "parquet_schema",
        "parquet_file_metadata", "parquet_kv_metadata", "sqlite_attach", "load_extension",
        "install_extension", "from_substrait", "get_substrait", "checkpoint", "force_checkpoint",
        "export_database", "import_database", "set_config", "pg_read_file", "pg_ls_dir",
        "pg_read_binary_file", "lo_import", "lo_export", "dblink", "java_method", "reflect",
        "input_file_name", "ducklake_snapshots", "try_reflect", "which_secret", "pg_ls_logdir",
        "input_file_block_start", "input_file_block_length",
    }
)  # fmt: skip
DENIED_PREFIXES = (
    "read_", "quack", "sqlite_", "postgres_", "mysql_", "http", "iceberg_", "delta_", "duckdb_",
    "pragma_", "s3", "azure_", "gcs_", "ducklake", "ftp", "file_", "load_", "import_", "export_",
    "st_read", "pg_read", "md_",
)  # fmt: skip
DENIED_SUFFIXES = ("_scan", "_attach", "_query", "_execute", "_file", "_files")

# Table functions that only compute values; any other function in FROM position is refused.
DEFAULT_TABLE_FUNCTIONS = sql_functions.TABLE_FUNCTIONS

# A table name that looks like a path or URL is a file read through a replacement scan.
_PATH_MARKERS = ("/", "\\", ":", "*", "?", "~")
_FILE_EXTENSIONS = (
    ".csv", ".tsv", ".txt", ".parquet", ".json", ".jsonl", ".ndjson", ".gz", ".zst", ".db",
    ".duckdb", ".sqlite", ".xlsx", ".arrow", ".feather", ".avro", ".orc",
)  # fmt: skip
_DEFAULT_SCHEMAS = frozenset({"main", "default", ""})

# Token types whose text may legitimately contain any character.
_TEXT_TOKENS = frozenset(
    t
    for t in (
        getattr(TokenType, name, None)
        for name in ("STRING", "NATIONAL_STRING", "RAW_STRING", "HEREDOC_STRING", "UNICODE_STRING")
    )
    if t is not None
)

logging.getLogger("sqlglot").setLevel(logging.ERROR)

# sqlglot's parser and generator recurse: about 22 frames per bracket level, 10 per NOT or CASE.
# The default limit (1000) makes 45 nested parentheses a RecursionError, so the process gets room
# for statements at the depth limit below; deeper ones are refused before or while parsing. Pure
# Python frames do not grow the C stack on 3.11, so the larger limit is safe for threads too.
PARSER_RECURSION_LIMIT = 20_000
if sys.getrecursionlimit() < PARSER_RECURSION_LIMIT:
    sys.setrecursionlimit(PARSER_RECURSION_LIMIT)

_OPENERS = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE})
_CLOSERS = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE})
_SET_OPERATIONS = frozenset({TokenType.UNION, TokenType.INTERSECT, TokenType.EXCEPT})


@dataclass(frozen=True)
class StatementLimits:
    """How big a statement may be. `max_bytes` is its UTF-8 size; `max_set_terms` the SELECTs
    joined by UNION, INTERSECT or EXCEPT; `max_depth` the nesting of its syntax tree (every
    bracket, subquery, CASE or nested operator adds a level, a chain of one operator such as
    `a OR b OR c` counts once); `max_nodes` its tokens and tree nodes."""

    max_bytes: int = 100_000
    max_set_terms: int = 200
    max_depth: int = 100
    max_nodes: int = 10_000


@dataclass(frozen=True)
class GuardPolicy:
    """Per-engine guard settings. `allowed_functions` lets an operator re-enable a denied function
    (say `read_parquet` on an engine whose files are meant to be read); `allowed_tables`, when set,
    is the complete list of tables a statement may name (`orders` or `schema.orders`)."""

    allowed_functions: frozenset[str] = frozenset()
    allowed_tables: frozenset[str] | None = None
    table_functions: frozenset[str] = DEFAULT_TABLE_FUNCTIONS
    limits: StatementLimits = StatementLimits()

    @classmethod
    def build(
        cls,
        *,
        allowed_functions: Iterable[str] = (),
        allowed_tables: Iterable[str] | None = None,
        limits: StatementLimits | None = None,
    ) -> GuardPolicy:
        functions = frozenset(name.lower() for name in allowed_functions)
        return cls(
            allowed_functions=functions,
            allowed_tables=(
                None if allowed_tables is None else frozenset(t.lower() for t in allowed_tables)
            ),
            table_functions=DEFAULT_TABLE_FUNCTIONS | functions,
            limits=limits or StatementLimits(),
        )


@dataclass(frozen=True)
class GuardedStatement:
    """A statement that passed the guard. `sql` is what the engine runs (limited, in its dialect);
    `query` is the checked statement without the limit wrapper, in the engine's dialect."""

    sql: str
    query: str
    dialect: Dialect
    fetch_rows: int
    tables: list[str] = field(default_factory=list)


def refuse(construct: str, reason: str = READ_ONLY) -> SqlRefused:
    return SqlRefused(f"{construct} is not allowed: {reason}")


def check_statement(
    sql: str, *, dialect: Dialect = "duckdb", policy: GuardPolicy | None = None
) -> exp.Expr:
    """Parse and check one statement; return its tree or raise `SqlRefused` naming the construct."""
    policy = policy or GuardPolicy()
    if not sql or not sql.strip():
        raise SqlRefused("The statement is empty: send one SELECT query.")
    limits = policy.limits
    _check_text(sql, limits)
    tokens = _tokens(sql, dialect)
    _check_characters(tokens)
    _check_token_limits(tokens, limits)
    leading = _leading_keyword(tokens)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except RecursionError as exc:
        # A chain the token checks cannot see (NOT NOT ..., x::INT::INT ...) nested too deeply.
        raise _too_deep(limits) from exc
    except (ParseError, TokenError) as exc:
        if leading in FORBIDDEN_KEYWORDS:
            raise refuse(leading) from exc
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SqlRefused(
            f"The statement is not valid {dialect} SQL ({first_line}); send one SELECT query."
        ) from exc
    if not statements:
        raise SqlRefused("The statement is empty: send one SELECT query.")
    if len(statements) > 1:
        raise SqlRefused(
            f"Multiple statements are not allowed: send exactly one query (got {len(statements)})."
        )
    tree = statements[0]
    _check_tree_limits(tree, limits)
    _check_root(tree, leading)
    _check_nodes(tree, policy, dialect)
    return tree


def guard(
    sql: str,
    *,
    dialect: Dialect = "duckdb",
    target: Dialect | None = None,
    max_rows: int = 100_000,
    policy: GuardPolicy | None = None,
) -> GuardedStatement:
    """Check `sql` (written in `dialect`) and return what the engine (speaking `target`) runs:
    the statement wrapped so it yields at most `max_rows + 1` rows, which lets the caller report
    truncation without counting the whole result."""
    target = target or dialect
    try:
        return _guard(sql, dialect=dialect, target=target, max_rows=max_rows, policy=policy)
    except RecursionError as exc:
        # The limits keep the tree shallow enough to copy and print; this is a last line.
        raise _too_deep((policy or GuardPolicy()).limits) from exc


def _guard(
    sql: str, *, dialect: Dialect, target: Dialect, max_rows: int, policy: GuardPolicy | None
) -> GuardedStatement:
    tree = check_statement(sql, dialect=dialect, policy=policy)
    inner = tree.this if isinstance(tree, exp.Subquery) else tree
    fetch_rows = max_rows + 1
    limited = (
        exp.select("*")
        .from_(
            exp.Subquery(
                this=inner.copy(), alias=exp.TableAlias(this=exp.to_identifier(LIMITED_ALIAS))
            )
        )
        .limit(fetch_rows)
    )
    return GuardedStatement(
        sql=limited.sql(dialect=target, comments=False),
        query=inner.sql(dialect=target, comments=False),
        dialect=target,
        fetch_rows=fetch_rows,
        tables=sorted(_table_names(tree)),
    )


def transpile(sql: str, *, source: Dialect, target: Dialect) -> str:
    """Rewrite one statement from one engine's dialect to another's (DuckDB SQL to Spark SQL)."""
    if source == target:
        return sql
    try:
        return sqlglot.transpile(sql, read=source, write=target, comments=False)[0]
    except RecursionError as exc:
        raise _too_deep(StatementLimits()) from exc
    except (ParseError, TokenError) as exc:
        raise SqlRefused(
            f"The statement could not be translated from {source} to {target}: {exc}"
        ) from exc


def _check_text(sql: str, limits: StatementLimits) -> None:
    """Valid Unicode (a lone UTF-16 surrogate cannot be encoded for any engine) and the size."""
    try:
        size = len(sql.encode("utf-8"))
    except UnicodeEncodeError as exc:
        char = sql[exc.start]
        raise SqlRefused(
            f"The statement contains a lone UTF-16 surrogate (U+{ord(char):04X}) at character "
            f"{exc.start}, which is not valid text: send the statement as valid Unicode."
        ) from None
    if size > limits.max_bytes:
        raise SqlRefused(
            f"The statement is too long: {size:,} bytes, the limit is {limits.max_bytes:,}. "
            "Send a shorter query (aggregate in SQL rather than listing values)."
        )


def _check_token_limits(tokens: list[sqlglot.tokens.Token], limits: StatementLimits) -> None:
    """Bounds checked on the token stream, before the recursive parser sees anything."""
    if len(tokens) > limits.max_nodes:
        raise _too_many_nodes(len(tokens), limits)
    depth = deepest = terms = 0
    for token in tokens:
        if token.token_type in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif token.token_type in _CLOSERS:
            depth = max(0, depth - 1)
        elif token.token_type in _SET_OPERATIONS:
            terms += 1
    if deepest > limits.max_depth:
        raise _too_deep(limits, f"{deepest} levels of brackets")
    if terms + 1 > limits.max_set_terms:
        raise SqlRefused(
            f"The statement joins too many queries: {terms + 1} terms of UNION, INTERSECT or "
            f"EXCEPT, the limit is {limits.max_set_terms}. Combine the rows in one query "
            "(a VALUES list or a table) instead."
        )


def _check_tree_limits(tree: exp.Expr, limits: StatementLimits) -> None:
    """Depth and size of the parsed tree, walked without recursion."""
    nodes = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > limits.max_depth:
            raise _too_deep(limits)
        if nodes > limits.max_nodes:
            raise _too_many_nodes(nodes, limits, parsed=True)
        chain = isinstance(node, (exp.Binary, exp.SetOperation))
        for child in node.iter_expressions():
            # `a OR b OR c ...` and `q UNION q UNION ...` are chains that sqlglot and the engines
            # handle without recursing per link: one level, however long (their length is
            # bounded by max_nodes and max_set_terms).
            same_chain = chain and type(child) is type(node)
            stack.append((child, depth if same_chain else depth + 1))


def _too_deep(limits: StatementLimits, found: str = "") -> SqlRefused:
    detail = f" ({found})" if found else ""
    return SqlRefused(
        f"The statement is nested too deeply{detail}: the limit is {limits.max_depth} levels of "
        "brackets, subqueries and expressions. Flatten it, e.g. with WITH clauses."
    )


def _too_many_nodes(count: int, limits: StatementLimits, *, parsed: bool = False) -> SqlRefused:
    what = "more than " if parsed else ""
    return SqlRefused(
        f"The statement is too complex: {what}{count:,} syntax elements, the limit is "
        f"{limits.max_nodes:,}. Send a shorter query."
    )


def _tokens(sql: str, dialect: Dialect) -> list[sqlglot.tokens.Token]:
    try:
        return list(sqlglot.tokenize(sql, read=dialect))
    except RecursionError as exc:
        raise _too_deep(StatementLimits()) from exc
    except TokenError as exc:
        raise SqlRefused(f"The statement could not be read as {dialect} SQL: {exc}") from exc


def _check_characters(tokens: list[sqlglot.tokens.Token]) -> None:
    """Look-alike and invisible characters outside literals can make the guard and the engine
    read different statements; refuse them (string literals and quoted names may hold anything)."""
    for token in tokens:
        if token.token_type in _TEXT_TOKENS:
            continue
        if token.token_type == TokenType.IDENTIFIER:
            continue  # a quoted name: sqlglot gives unquoted names the VAR type
        for char in token.text:
            if ord(char) > 127:
                name = unicodedata.name(char, "unnamed character")
                raise SqlRefused(
                    f"The character {char!r} (U+{ord(char):04X} {name}) is not allowed outside "
                    "string literals: look-alike characters can hide SQL."
                )


def _leading_keyword(tokens: list[sqlglot.tokens.Token]) -> str:
    for token in tokens:
        if token.token_type in (TokenType.L_PAREN, TokenType.SEMICOLON):
            continue
        return token.text.upper()
    return ""


def _check_root(tree: exp.Expr, leading: str) -> None:
    for node_type, label in FORBIDDEN_NODE_TYPES:
        if isinstance(tree, node_type):
            raise refuse(_node_label(tree, label, leading))
    query = tree.this if isinstance(tree, exp.Subquery) else tree
    if not isinstance(query, (exp.Select, exp.SetOperation, exp.Values)):
        construct = leading if leading.isalpha() else type(tree).__name__.upper()
        raise SqlRefused(
            f"{construct} is not allowed: only SELECT, WITH, VALUES and set operations "
            "(UNION, INTERSECT, EXCEPT) can run."
        )


def _node_label(node: exp.Expr, label: str, leading: str = "") -> str:
    if isinstance(node, exp.Command):
        return _command_label(node, leading)
    kind = node.args.get("kind") if isinstance(node, (exp.Create, exp.Drop)) else None
    return f"{label} {str(kind).upper()}" if isinstance(kind, str) and kind else label


def _command_label(node: exp.Expr, leading: str = "") -> str:
    """`CREATE SECRET`, `EXPORT DATABASE`, ... for statements sqlglot keeps as opaque commands."""
    keyword = str(node.this or leading).upper()
    expression = node.args.get("expression")
    rest = str(expression.this if isinstance(expression, exp.Expr) else expression or "").split()
    modifiers = {"OR", "REPLACE", "TEMP", "TEMPORARY", "PERSISTENT", "IF", "NOT", "EXISTS"}
    rest = [word.upper() for word in rest if word.upper() not in modifiers]
    if keyword in {"CREATE", "EXPORT", "IMPORT", "FORCE"} and rest:
        return f"{keyword} {rest[0]}"
    return keyword or "This statement"


def _check_nodes(tree: exp.Expr, policy: GuardPolicy, dialect: Dialect) -> None:
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE) if cte.alias_or_name}
    for node in tree.walk():
        for node_type, label in FORBIDDEN_NODE_TYPES:
            if isinstance(node, node_type):
                where = " inside a query" if node is not tree else ""
                raise refuse(f"{_node_label(node, label)}{where}")
        if isinstance(node, exp.Func):
            _check_function(node, policy, dialect)
        elif isinstance(node, exp.Table):
            _check_table(node, policy, cte_names)


def function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def _check_function(node: exp.Func, policy: GuardPolicy, dialect: Dialect) -> None:
    name = function_name(node)
    if name in policy.allowed_functions:
        return
    if (
        name in DENIED_FUNCTIONS
        or name in sql_functions.WITHHELD
        or name.startswith(DENIED_PREFIXES)
        or name.endswith(DENIED_SUFFIXES)
    ):
        raise refuse(
            f"{name}()",
            "it reads files, the network, other databases or engine settings, "
            "and Vizorch only queries the engine's own tables",
        )
    if _in_table_position(node):
        if name not in policy.table_functions:
            raise refuse(f"Table function {name}()", "query the engine's tables instead")
        return
    if dialect == "duckdb" and not _allowed_duckdb_function(node, name):
        raise refuse(
            f"{name}()",
            "it is not among the DuckDB functions Vizorch allows "
            "(VIZORCH_GUARD_ALLOWED_FUNCTIONS adds functions).",
        )


def _allowed_duckdb_function(node: exp.Func, name: str) -> bool:
    if name in sql_functions.DUCKDB_FUNCTIONS:
        return True
    if isinstance(node, (exp.Binary, exp.Unary, exp.Connector, exp.Predicate)):
        return True  # operator syntax that sqlglot models as a function (OR, ->, ~, @>, ...)
    # A function sqlglot knows is printed from its node type, whatever name it was called by.
    return not isinstance(node, exp.Anonymous) and name in sql_functions.SQLGLOT_NAMES


def _in_table_position(node: exp.Func) -> bool:
    return isinstance(node.parent, (exp.Table, exp.From, exp.Join, exp.Lateral))


def _check_table(node: exp.Table, policy: GuardPolicy, cte_names: set[str]) -> None:
    if not isinstance(node.this, exp.Identifier):
        return  # a table function: checked as a function
    name = node.name
    lowered = name.lower()
    if any(marker in name for marker in _PATH_MARKERS) or lowered.endswith(_FILE_EXTENSIONS):
        raise refuse(f"Reading the file {name!r}", "query the engine's tables instead")
    qualified = ".".join(part for part in (node.catalog, node.db, name) if part).lower()
    if lowered in cte_names and not node.db:
        return
    _check_system_view(node)
    if policy.allowed_tables is None:
        return
    schema = (node.db or "").lower()
    allowed = policy.allowed_tables
    if qualified in allowed or (schema in _DEFAULT_SCHEMAS and lowered in allowed):
        return
    if f"{schema}.{lowered}" in allowed:
        return
    raise refuse(f"The table {qualified}", "it is not in this engine's list of allowed tables")


def _check_system_view(node: exp.Table) -> None:
    """DuckDB's built-in views show settings, databases and files: refused, except the
    `information_schema` views of the engine's own tables."""
    catalog = (node.catalog or "").lower()
    schema = (node.db or "").lower()
    name = node.name.lower()
    system = (
        catalog in sql_functions.SYSTEM_CATALOGS
        or schema in sql_functions.SYSTEM_SCHEMAS
        or (schema in _DEFAULT_SCHEMAS and name in sql_functions.SYSTEM_VIEWS)
        or name.startswith(("duckdb_", "pragma_"))
    )
    if system and f"{schema}.{name}" not in sql_functions.ALLOWED_SYSTEM_VIEWS:
        shown = ".".join(part for part in (schema, name) if part)
        raise refuse(
            f"The system view {shown}",
            "it shows the server's configuration, files or databases; query the "
            "information_schema views of tables and columns instead",
        )


def _table_names(tree: exp.Expr) -> set[str]:
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return {
        table.name.lower()
        for table in tree.find_all(exp.Table)
        if isinstance(table.this, exp.Identifier) and table.name.lower() not in cte_names
    }
