"""The PostgreSQL store's schema: SQLite's at the same version, translated.

The migrations in `state/schema.py` stay the one definition of the store's tables. A new PostgreSQL store
gets them by running every migration on a scratch SQLite database in memory, reading back what they made
(`sqlite_master`: tables as their columns stand after every ALTER, indexes, the audit trail's append-only
triggers) and creating the same in PostgreSQL (`dialect.py` translates). Its version is kept in
`cutover_schema`, as SQLite keeps it in `PRAGMA user_version`.

A PostgreSQL store written by an older cutover is brought forward by the same migrations (`upgrade_statements`):
each runs on a scratch SQLite database at the store's version, every statement it runs there is recorded (as
SQLite ran it), translated (`migration_to_postgres`) and run on PostgreSQL in one transaction with the new version.
A migration statement with no PostgreSQL form is refused before anything changes.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass

import sqlite_utils

from cutover.state.postgres.dialect import (
    REFUSE_FUNCTION,
    TableShape,
    migration_to_postgres,
    table_to_postgres,
    trigger_to_postgres,
)
from cutover.state.schema import SCHEMA_VERSION, migrate

VERSION_TABLE = "cutover_schema"


@dataclass(frozen=True)
class PostgresSchema:
    statements: tuple[str, ...]  # in order: tables, indexes, the refusing function, triggers
    tables: tuple[TableShape, ...]


@functools.cache
def postgres_schema(version: int = SCHEMA_VERSION) -> PostgresSchema:
    """The store's tables at SCHEMA_VERSION (or an older `version`, as an older cutover made them), as
    PostgreSQL creates them."""
    scratch = sqlite_utils.Database(sqlite3.connect(":memory:"))
    try:
        with scratch.conn:
            migrate(scratch, upto=version)
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
                creates.append(table_to_postgres(sql, self_numbered=_numbers_itself(scratch, name)))
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


def create_schema_statements(version: int = SCHEMA_VERSION) -> tuple[str, ...]:
    """Everything a new, empty PostgreSQL schema needs to be a store at SCHEMA_VERSION (or at an older
    `version`, as an older cutover made it: the upgrade tests)."""
    return (
        *postgres_schema(version).statements,
        f"CREATE TABLE {VERSION_TABLE} (version BIGINT NOT NULL)",
        f"INSERT INTO {VERSION_TABLE} (version) VALUES ({version})",
    )


@functools.cache
def upgrade_statements(from_version: int) -> tuple[str, ...]:
    """What brings a PostgreSQL store at `from_version` to SCHEMA_VERSION: the statements the migrations after
    it run on SQLite, recorded on a scratch database at that version and translated, then the new version.
    Raises UnsupportedStatement (before anything runs) for a statement with no PostgreSQL form."""
    connection = sqlite3.connect(":memory:")
    scratch = sqlite_utils.Database(connection)
    recorded: list[str] = []
    try:
        with scratch.conn:
            migrate(scratch, upto=from_version)
        connection.set_trace_callback(recorded.append)
        with scratch.conn:
            migrate(scratch)
        connection.set_trace_callback(None)
        self_numbered = frozenset(
            name
            for (name,) in scratch.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            if _numbers_itself(scratch, name)
        )
    finally:
        scratch.close()
    tables = postgres_schema().tables
    translated = (migration_to_postgres(statement, tables, self_numbered) for statement in recorded)
    return (
        *(statement for statement in translated if statement is not None),
        f"UPDATE {VERSION_TABLE} SET version = {SCHEMA_VERSION}",
    )


def _numbers_itself(scratch: sqlite_utils.Database, table: str) -> bool:
    """A table whose one-column INTEGER PRIMARY KEY is SQLite's rowid: PostgreSQL gives it an identity."""
    columns = scratch.execute(f"PRAGMA table_info({table})").fetchall()
    key = [column for column in columns if column[5]]
    return len(key) == 1 and key[0][2].upper() == "INTEGER"
