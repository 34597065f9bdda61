"""The PostgreSQL store's schema: SQLite's at the same version, translated.

The migrations in `state/schema.py` stay the one definition of the store's tables. A new PostgreSQL store
gets them by running every migration on a scratch SQLite database in memory, reading back what they made
(`sqlite_master`: tables as their columns stand after every ALTER, indexes, the audit trail's append-only
triggers) and creating the same in PostgreSQL (`dialect.py` translates). Its version is kept in
`cutover_schema`, as SQLite keeps it in `PRAGMA user_version`.

A PostgreSQL store written by an older cutover is refused with what to do, not upgraded: PostgreSQL stores
start at this schema version, and the first migration after it must say how it applies to them.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass

import sqlite_utils

from cutover.state.postgres.dialect import REFUSE_FUNCTION, TableShape, table_to_postgres, trigger_to_postgres
from cutover.state.schema import SCHEMA_VERSION, migrate

VERSION_TABLE = "cutover_schema"


@dataclass(frozen=True)
class PostgresSchema:
    statements: tuple[str, ...]  # in order: tables, indexes, the refusing function, triggers
    tables: tuple[TableShape, ...]


@functools.cache
def postgres_schema() -> PostgresSchema:
    """The store's tables at SCHEMA_VERSION, as PostgreSQL creates them."""
    scratch = sqlite_utils.Database(sqlite3.connect(":memory:"))
    try:
        with scratch.conn:
            migrate(scratch)
        objects = scratch.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        ).fetchall()
        tables: list[TableShape] = []
        creates: list[str] = []
        indexes: list[str] = []
        triggers: list[str] = []
        for kind, name, _table, sql in objects:
            if kind == "table":
                columns = scratch.execute(f"PRAGMA table_info({name})").fetchall()
                key = tuple(column[1] for column in sorted(columns, key=lambda column: column[5]) if column[5])
                tables.append(TableShape(name, key, tuple(column[1] for column in columns)))
                single_integer = len(key) == 1 and any(
                    column[1] == key[0] and column[2].upper() == "INTEGER" for column in columns
                )
                creates.append(table_to_postgres(sql, self_numbered=single_integer))
            elif kind == "index":
                indexes.append(sql)
            elif kind == "trigger":
                triggers.append(trigger_to_postgres(sql))
    finally:
        scratch.close()
    return PostgresSchema(
        statements=(*creates, *indexes, REFUSE_FUNCTION, *triggers),
        tables=tuple(tables),
    )


def create_schema_statements() -> tuple[str, ...]:
    """Everything a new, empty PostgreSQL schema needs to be a store at SCHEMA_VERSION."""
    return (
        *postgres_schema().statements,
        f"CREATE TABLE {VERSION_TABLE} (version BIGINT NOT NULL)",
        f"INSERT INTO {VERSION_TABLE} (version) VALUES ({SCHEMA_VERSION})",
    )
