"""Where SQLite and PostgreSQL differ: the one place that knows.

The store's statements are written once, in SQLite's dialect (the embedded default). On PostgreSQL each is
rewritten here before it runs, and the schema PostgreSQL gets is derived from SQLite's at the same version:

- placeholders: `?` and `:name` become psycopg's `%s` and `%(name)s` (a literal `%` is doubled);
- `INSERT OR REPLACE` / `INSERT OR IGNORE` become `INSERT ... ON CONFLICT (key) DO UPDATE` / `DO NOTHING`;
- `CAST(x AS INTEGER)` truncates toward zero, as SQLite's does (PostgreSQL's rounds);
- SQLite's scalar `max(a, b)` / `min(a, b)` (two or more arguments) become `GREATEST` / `LEAST`;
- `json_extract(column, '$.key')` becomes `(column::jsonb ->> 'key')`, `json_set(column, '$.key', value, ...)`
  merges the keys into the document, `json_each(?)` is the set of the array's elements as text;
- `x = ? COLLATE NOCASE` compares lower-cased;
- a bare column in an upsert's `DO UPDATE SET` expression is named with its table (the kept row's value);
- the schema's column types map to PostgreSQL's (text compared byte-wise, as SQLite does, so `ORDER BY
  tenant_id` is the same order on both), an `INTEGER PRIMARY KEY` numbers itself, `WITHOUT ROWID` goes, and
  the append-only triggers of the audit trail become PostgreSQL triggers with the same message.

A statement this module cannot rewrite faithfully is refused (`UnsupportedStatement`), never run half-translated.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


class UnsupportedStatement(ValueError):
    """A statement in SQLite's dialect that has no faithful rewrite for PostgreSQL here."""


@dataclass(frozen=True)
class TableShape:
    """What the rewriting needs of a table: its primary key (`INSERT OR REPLACE` replaces the other columns on a
    conflict there) and its columns (a bare column in an upsert's `DO UPDATE` means the kept row's)."""

    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]


@functools.lru_cache(maxsize=2048)
def to_postgres(sql: str, tables: tuple[TableShape, ...] = ()) -> str:
    """`sql` (SQLite's dialect) as PostgreSQL runs it."""
    shapes = {table.name: table for table in tables}
    statement = _functions(_placeholders(sql))
    statement = _nocase(statement)
    statement = _insert_or(statement, shapes)
    return _kept_row_named(statement, shapes)


def _placeholders(sql: str) -> str:
    """`?` -> `%s`, `:name` -> `%(name)s`, `%` -> `%%`, outside quoted strings and identifiers."""
    out: list[str] = []
    index = 0
    quote = ""
    while index < len(sql):
        char = sql[index]
        if quote:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = ""
            index += 1
            continue
        if char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        elif char == ":" and index + 1 < len(sql) and sql[index + 1] == ":":
            out.append("::")  # a PostgreSQL cast written by this module, not a parameter
            index += 2
            continue
        elif char == ":" and (name := _NAME.match(sql, index + 1)) is not None:
            out.append(f"%({name.group()})s")
            index = name.end()
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _functions(sql: str) -> str:
    """Scalar max/min of several arguments, json_extract and json_each."""
    out: list[str] = []
    index = 0
    pattern = re.compile(r"\b(max|min|json_extract|json_set|json_each|cast)\s*\(", re.IGNORECASE)
    while (found := pattern.search(sql, index)) is not None:
        out.append(sql[index : found.start()])
        name = found.group(1).lower()
        arguments, end = _arguments(sql, found.end())
        inner = [_functions(argument) for argument in arguments]
        if name in ("max", "min"):
            if len(inner) == 1:
                out.append(f"{found.group(1)}({inner[0]})")  # the aggregate: the same on both
            else:
                out.append(f"{'GREATEST' if name == 'max' else 'LEAST'}({', '.join(inner)})")
        elif name == "json_extract":
            path = re.fullmatch(r"\s*'\$\.([A-Za-z_][A-Za-z_0-9]*)'\s*", inner[1]) if len(inner) == 2 else None
            if path is None:
                raise UnsupportedStatement(f"json_extract with a path other than '$.key': {sql}")
            out.append(f"(({inner[0].strip()})::jsonb ->> '{path.group(1)}')")
        elif name == "cast":
            typed = re.fullmatch(r"(.+)\s+AS\s+(INTEGER|REAL|TEXT)\s*", inner[0], re.IGNORECASE | re.DOTALL)
            if typed is None or len(inner) != 1:
                raise UnsupportedStatement(f"a CAST to a type other than INTEGER, REAL or TEXT: {sql}")
            value, kind = typed.group(1).strip(), typed.group(2).upper()
            # SQLite's CAST to INTEGER truncates toward zero; PostgreSQL's rounds: truncate first.
            out.append(
                f"CAST(trunc({value}) AS BIGINT)" if kind == "INTEGER" else f"CAST({value} AS {_PG_TYPES[kind]})"
            )
        elif name == "json_set":
            pairs = []
            for where, value in zip(inner[1::2], inner[2::2], strict=True):
                key = re.fullmatch(r"\s*'\$\.([A-Za-z_][A-Za-z_0-9]*)'\s*", where)
                if key is None:
                    raise UnsupportedStatement(f"json_set with a path other than '$.key': {sql}")
                pairs.append(f"'{key.group(1)}', {value.strip()}")
            document = f"coalesce(({inner[0].strip()})::jsonb, '{{}}'::jsonb)"
            out.append(f"({document} || jsonb_build_object({', '.join(pairs)}))::text")
        else:  # json_each(?): a JSON array's elements, as SQLite's `value` column
            if len(inner) != 1:
                raise UnsupportedStatement(f"json_each with a root path: {sql}")
            out.append(f"jsonb_array_elements_text(({inner[0].strip()})::jsonb) AS json_each (value)")
        index = end
    out.append(sql[index:])
    return "".join(out)


def _arguments(sql: str, start: int) -> tuple[list[str], int]:
    """The top-level, comma-separated arguments of a call whose "(" ends at `start`; the index after its ")"."""
    depth = 0
    quote = ""
    arguments: list[str] = []
    begun = start
    for index in range(start, len(sql)):
        char = sql[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                arguments.append(sql[begun:index])
                return arguments, index + 1
            depth -= 1
        elif char == "," and depth == 0:
            arguments.append(sql[begun:index])
            begun = index + 1
    raise UnsupportedStatement(f"unbalanced parentheses: {sql}")


def _nocase(sql: str) -> str:
    return re.sub(
        r"\b([A-Za-z_][A-Za-z_0-9.]*)\s*=\s*(%s|%\([A-Za-z_0-9]+\)s)\s+COLLATE\s+NOCASE\b",
        r"lower(\1) = lower(\2)",
        sql,
        flags=re.IGNORECASE,
    )


_INSERT_OR = re.compile(
    r"^\s*INSERT\s+OR\s+(REPLACE|IGNORE)\s+INTO\s+([A-Za-z_][A-Za-z_0-9]*)\s*\(([^)]*)\)", re.IGNORECASE
)


def _insert_or(sql: str, shapes: dict[str, TableShape]) -> str:
    found = _INSERT_OR.match(sql)
    if found is None:
        if re.match(r"^\s*(INSERT|REPLACE)\s+OR\b|^\s*REPLACE\s+INTO\b", sql, re.IGNORECASE):
            raise UnsupportedStatement(f"an INSERT OR ... without a column list: {sql}")
        return sql
    action, table, column_list = found.group(1).upper(), found.group(2), found.group(3)
    rest = sql[found.end() :].rstrip().rstrip(";")
    head = f"INSERT INTO {table} ({column_list}){rest}"
    if action == "IGNORE":
        return f"{head} ON CONFLICT DO NOTHING"
    key = shapes[table].key if table in shapes else ()
    if not key:
        raise UnsupportedStatement(f"INSERT OR REPLACE INTO {table}: its primary key is not known")
    columns = [column.strip() for column in column_list.split(",")]
    others = [column for column in columns if column not in key]
    if not others:
        return f"{head} ON CONFLICT ({', '.join(key)}) DO NOTHING"
    assignments = ", ".join(f"{column} = excluded.{column}" for column in others)
    return f"{head} ON CONFLICT ({', '.join(key)}) DO UPDATE SET {assignments}"


_UPSERT = re.compile(r"^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z_0-9]*)\b.*?\bDO\s+UPDATE\s+SET\s+", re.I | re.S)


def _kept_row_named(sql: str, shapes: dict[str, TableShape]) -> str:
    """In an upsert's `DO UPDATE SET a = <expression>`, SQLite reads a bare column of the expression as the kept
    row's; PostgreSQL finds it ambiguous beside `excluded`: name it with its table."""
    found = _UPSERT.match(sql)
    if found is None or found.group(1) not in shapes:
        return sql
    table = found.group(1)
    columns = "|".join(sorted(shapes[table].columns, key=len, reverse=True))
    bare = re.compile(rf"(?<![.\w])({columns})\b(?!\s*\()")
    assignments = sql[found.end() :]
    where = re.search(r"\bWHERE\b", assignments, re.IGNORECASE)
    body, tail = (assignments[: where.start()], assignments[where.start() :]) if where else (assignments, "")
    named: list[str] = []
    for assignment in _split_top_level(body):
        target, _, expression = assignment.partition("=")
        named.append(f"{target}={bare.sub(lambda column: f'{table}.{column[1]}', expression)}")
    return sql[: found.end()] + ",".join(named) + tail


def _split_top_level(text: str) -> list[str]:
    """`text` split at its commas outside parentheses and quotes."""
    return _arguments(text + ")", 0)[0]


# --- the schema -------------------------------------------------------------------------------------------

_COLUMN_TYPE = re.compile(r"([(,]\s*)([A-Za-z_][A-Za-z_0-9]*)\s+(INTEGER|REAL|TEXT|BLOB)\b", re.IGNORECASE)
_PG_TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "TEXT": "TEXT", "BLOB": "BYTEA"}
_COLUMN_TYPES = {**_PG_TYPES, "TEXT": 'TEXT COLLATE "C"'}  # text compared byte-wise, as SQLite's BINARY
_COMMENT = re.compile(r"--[^\n]*")
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*$", re.IGNORECASE)
_AUTOINCREMENT = re.compile(r"\s+AUTOINCREMENT\b", re.IGNORECASE)

_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+(\w+)\s+BEFORE\s+(UPDATE|DELETE)\s+ON\s+(\w+)\s+(?:WHEN\s+(.+?)\s+)?"
    r"BEGIN\s+SELECT\s+RAISE\s*\(\s*ABORT\s*,\s*'([^']*)'\s*\)\s*;\s*END",
    re.IGNORECASE | re.DOTALL,
)

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION cutover_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END
$$
"""


def table_to_postgres(create_table: str, self_numbered: bool) -> str:
    """A `CREATE TABLE` of SQLite's as PostgreSQL's. `self_numbered`: its INTEGER PRIMARY KEY is assigned by
    the database when an insert leaves it out (SQLite's rowid alias), so PostgreSQL gets an identity column."""
    statement = _AUTOINCREMENT.sub("", _WITHOUT_ROWID.sub(")", _COMMENT.sub("", create_table).strip()))
    statement = _COLUMN_TYPE.sub(lambda found: f"{found[1]}{found[2]} {_COLUMN_TYPES[found[3].upper()]}", statement)
    if self_numbered:
        statement = re.sub(
            r"\bBIGINT\s+PRIMARY\s+KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement, count=1
        )
    return statement


def trigger_to_postgres(create_trigger: str) -> str:
    """One of the audit trail's append-only triggers (BEFORE UPDATE/DELETE ... RAISE(ABORT, ...)) as PostgreSQL's."""
    found = _TRIGGER.fullmatch(create_trigger.strip())
    if found is None:
        raise UnsupportedStatement(f"a trigger other than the append-only kind: {create_trigger}")
    name, event, table, when, message = found.groups()
    condition = f" WHEN ({when})" if when else ""
    message = message.replace("'", "''")
    return (
        f"CREATE TRIGGER {name} BEFORE {event.upper()} ON {table} FOR EACH ROW{condition} "
        f"EXECUTE FUNCTION cutover_refuse('{message}')"
    )


# --- a migration's statements ------------------------------------------------------------------------------

_ADD_COLUMN = re.compile(r"(\bADD\s+COLUMN\s+)([A-Za-z_][A-Za-z_0-9]*)\s+(INTEGER|REAL|TEXT|BLOB)\b", re.IGNORECASE)
_ROWID = re.compile(r"\browid\b", re.IGNORECASE)
# Recorded but not a change: the transaction, SQLite's version mark, and a migration's reads (of sqlite_master).
_NOT_RUN = re.compile(r"^(BEGIN|COMMIT|END|PRAGMA|SELECT|--)", re.IGNORECASE)

# A migration's statement that has no word-for-word PostgreSQL form (it numbers rows by SQLite's rowid), and the
# statement that does the same there.
STATEMENT_FORMS = {
    # The change feed's first revisions (schema 18): each existing tenant row its own, in the table's order.
    "UPDATE tenants SET revision = rowid": (
        "UPDATE tenants SET revision = numbered.n FROM (SELECT tenant_id, row_number() OVER (ORDER BY tenant_id) "
        "AS n FROM tenants) AS numbered WHERE tenants.tenant_id = numbered.tenant_id"
    ),
}


def migration_to_postgres(statement: str, tables: tuple[TableShape, ...], self_numbered: frozenset[str]) -> str | None:
    """One statement a schema migration runs on SQLite (as SQLite ran it, parameters in place), as PostgreSQL's,
    to be run with an empty parameter list (a literal `%` doubled); None for what PostgreSQL keeps otherwise
    (the transaction, the version in PRAGMA user_version) and for a read (a SELECT changes nothing).
    `self_numbered`: the tables whose INTEGER PRIMARY KEY numbers itself."""
    sql = _COMMENT.sub("", statement).strip().rstrip(";").strip()
    if not sql or _NOT_RUN.match(sql):
        return None
    flat = " ".join(sql.split())
    if flat in STATEMENT_FORMS:
        return STATEMENT_FORMS[flat].replace("%", "%%")
    head = flat.upper()
    if not head.startswith("CREATE TABLE") and _ROWID.search(sql):  # a table's WITHOUT ROWID is translated
        raise UnsupportedStatement(
            f"a migration's statement uses SQLite's rowid: give it a form in STATEMENT_FORMS: {flat}"
        )
    if head.startswith("CREATE TABLE"):
        name = flat.split()[2].split("(")[0]
        translated = table_to_postgres(sql, self_numbered=name in self_numbered)
    elif head.startswith("CREATE TRIGGER"):
        translated = trigger_to_postgres(sql)
    elif head.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
        translated = sql
    elif head.startswith("ALTER TABLE"):
        translated = _ADD_COLUMN.sub(lambda found: f"{found[1]}{found[2]} {_COLUMN_TYPES[found[3].upper()]}", sql)
    else:
        return to_postgres(sql, tables)
    return translated.replace("%", "%%")
