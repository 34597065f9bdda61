"""One connection to a PostgreSQL store, with the surface the store's modules use of sqlite-utils' Database:
`execute` (a cursor), `query` (rows as dicts), `table(name)` / `db[name]` (`insert`, `insert_all` with
`replace` or `ignore`, `upsert`, `count`, `exists()`), and `conn` (`execute`, `executemany`, `in_transaction`).

Every statement arrives in SQLite's dialect and is rewritten by `dialect.to_postgres` (cached per statement).
Values go in as SQLite would keep them: a bool as 0/1, a dict, list or tuple as JSON text (as sqlite-utils
writes them), so a row reads back the same from either store.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import psycopg
from psycopg.adapt import Dumper
from psycopg.rows import dict_row
from psycopg.types.string import StrDumper

from cutover.state.postgres.dialect import TableShape, to_postgres


class _BoolAsInteger(Dumper):
    """SQLite has no boolean: the store writes True/False into INTEGER columns and reads back 1/0."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class StoreCursor(psycopg.Cursor[Any]):
    """psycopg's cursor, with a `description` of plain 7-tuples made from the result's column names: the store
    reads `description[i][0]` of every tenant query, and psycopg's Column objects (60 a tenant row) cost more
    than the query's round trip."""

    @property
    def description(self) -> list[tuple[Any, ...]] | None:  # type: ignore[override]
        result = self.pgresult
        if result is None or not result.nfields:
            return None
        return [
            (name.decode(), None, None, None, None, None, None)
            for name in map(result.fname, range(result.nfields))
            if name is not None
        ]


def configure(conn: psycopg.Connection[Any]) -> None:
    """What every connection of the store's pool gets before its first statement: a bool written as 0/1, a str
    as text (not psycopg's default "unknown", which PostgreSQL cannot place in a JSON document)."""
    conn.adapters.register_dumper(bool, _BoolAsInteger)
    conn.adapters.register_dumper(str, StrDumper)
    conn.cursor_factory = StoreCursor


def _stored(value: Any) -> Any:
    """A value as SQLite keeps it: JSON text for a dict, list or tuple (as sqlite-utils writes them), and no NaN
    (SQLite stores a NaN as NULL)."""
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=str)
    if value != value:  # NaN
        return None
    return value


class PgConnection:
    """`db.conn`: the raw connection, as the store's modules use sqlite3's."""

    def __init__(self, database: PgDatabase):
        self._database = database

    @property
    def in_transaction(self) -> bool:
        return self._database.in_transaction

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()) -> psycopg.Cursor[Any]:
        return self._database.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> psycopg.Cursor[Any]:
        cursor = self._database.raw.cursor()
        cursor.executemany(self._database.translate(sql), [_row(row) for row in rows])
        return cursor


def _row(row: Sequence[Any] | Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
    if isinstance(row, Mapping):
        return {name: _stored(value) for name, value in row.items()}
    return [_stored(value) for value in row]


class PgTable:
    """`db.table(name)`: inserts and counts, as sqlite-utils' Table does them."""

    def __init__(self, database: PgDatabase, name: str):
        self.database = database
        self.name = name

    @property
    def count(self) -> int:
        row = self.database.execute(f"SELECT count(*) FROM {self.name}").fetchone()
        return int(row[0]) if row else 0

    def exists(self) -> bool:
        return self.name in self.database.tables()

    def insert(self, record: Mapping[str, Any], *, replace: bool = False, ignore: bool = False) -> PgTable:
        return self.insert_all([record], replace=replace, ignore=ignore)

    def insert_all(
        self, records: Iterable[Mapping[str, Any]], *, replace: bool = False, ignore: bool = False
    ) -> PgTable:
        rows = list(records)
        if not rows:
            return self
        columns: dict[str, None] = {}
        for row in rows:
            columns.update(dict.fromkeys(row))
        names = list(columns)
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE" if ignore else "INSERT"
        statement = f"{verb} INTO {self.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        # One statement prepared once, its rows sent in a pipeline: not a statement with thousands of
        # parameters, which psycopg would parse anew for every batch.
        self.database.conn.executemany(statement, [[row.get(name) for name in names] for row in rows])
        return self

    def upsert(self, record: Mapping[str, Any], *, pk: str | Sequence[str]) -> PgTable:
        key = (pk,) if isinstance(pk, str) else tuple(pk)
        names = list(record)
        others = [name for name in names if name not in key]
        update = (
            f"DO UPDATE SET {', '.join(f'{name} = excluded.{name}' for name in others)}" if others else "DO NOTHING"
        )
        self.database.execute(
            f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
            f"ON CONFLICT ({', '.join(key)}) {update}",
            [_stored(record[name]) for name in names],
        )
        return self


class PgDatabase:
    """A thread's connection to the PostgreSQL store (taken from the store's pool)."""

    def __init__(
        self, raw: psycopg.Connection[Any], tables: tuple[TableShape, ...], owner: threading.Thread | None = None
    ):
        self.raw = raw
        self.tables_shapes = tables
        self.owner = owner or threading.current_thread()  # the thread it belongs to
        self.conn = PgConnection(self)
        self._tables: frozenset[str] | None = None
        self.in_transaction = False

    def translate(self, sql: str) -> str:
        return to_postgres(sql, self.tables_shapes)

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> psycopg.Cursor[Any]:
        if parameters is None or (not parameters and not isinstance(parameters, Mapping)):
            return self.raw.execute(self.translate(sql))
        return self.raw.execute(self.translate(sql), _row(parameters))

    def query(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        cursor = self.raw.cursor(row_factory=dict_row)
        cursor.execute(self.translate(sql), None if parameters is None else _row(parameters))
        yield from cursor

    def table(self, name: str) -> PgTable:
        return PgTable(self, name)

    def __getitem__(self, name: str) -> PgTable:
        return PgTable(self, name)

    def tables(self) -> frozenset[str]:
        names = self.raw.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        return frozenset(row[0] for row in names)

    def begin(self, statement: str = "BEGIN") -> None:
        self.raw.execute(statement)
        self.in_transaction = True

    def commit(self) -> None:
        self.raw.execute("COMMIT")
        self.in_transaction = False

    def rollback(self) -> None:
        if self.in_transaction or self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self.raw.execute("ROLLBACK")
        self.in_transaction = False

    def close(self) -> None:
        self.raw.close()
