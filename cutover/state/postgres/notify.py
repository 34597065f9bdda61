"""Readers on other hosts woken by PostgreSQL's LISTEN/NOTIFY when the store changes.

Every statement that changes one of a store's tables notifies channel `cutover` with `<schema>.<table>` (a
statement-level trigger, so a write of 10,000 rows notifies once; PostgreSQL delivers a transaction's
notifications when it commits, one per distinct payload, and never those of a transaction rolled back). A
console listens on a connection of its own and reads the store as soon as a change commits, not up to a
second later. Its once-a-second read stays: it is the console's clock for ages and staleness, and what
catches up after the listening connection was lost (a notification sent meanwhile is gone).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import psycopg

CHANNEL = "cutover"
FUNCTION = "cutover_changed"
RECONNECT_EVERY = 5.0  # seconds between attempts to listen again after the connection was lost


def notify_statements(tables: Iterable[str]) -> tuple[str, ...]:
    """The function and the triggers that notify a store's changes (idempotent: a store made before them
    gets them when it is next opened for writing)."""
    function = (
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"PERFORM pg_notify('{CHANNEL}', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME); RETURN NULL; END $$"
    )
    triggers = tuple(
        f"CREATE OR REPLACE TRIGGER {FUNCTION} AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        for table in tables
    )
    return (function, *triggers)


class PgChangeListener:
    """Listens for one store's changes on a connection of its own. Used from one thread."""

    def __init__(self, conninfo: str, schema: str, *, reconnect_every: float = RECONNECT_EVERY) -> None:
        self._conninfo = conninfo
        self._prefix = f"{schema}."
        self._reconnect_every = reconnect_every
        self._conn: psycopg.Connection | None = None
        self._failed_at: float | None = None

    def wait(self, timeout: float) -> frozenset[str] | None:
        """The store's tables changed since the last call, waiting up to `timeout` seconds for the first
        (an empty set: none). None: changes may have been missed (the first call, or listening again after
        the connection was lost): read everything."""
        if self._conn is None:
            if self._failed_at is not None and time.monotonic() - self._failed_at < self._reconnect_every:
                time.sleep(timeout)
                return frozenset()
            try:
                self._conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=2)
                self._conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error:
                self._lost()
                time.sleep(timeout)
                return frozenset()
            self._failed_at = None
            return None
        tables: set[str] = set()
        try:
            for waited in (timeout, 0.0):  # the first notification, then whatever else already arrived
                for notification in self._conn.notifies(timeout=waited, stop_after=None if waited == 0 else 1):
                    if notification.payload.startswith(self._prefix):
                        tables.add(notification.payload[len(self._prefix) :])
        except psycopg.Error:
            self._lost()
            return frozenset()
        return frozenset(tables)

    def _lost(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._failed_at = time.monotonic()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
