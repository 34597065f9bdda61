"""The SQLite session store: one file per war room, shared by every console.

WAL mode so viewers read while the engine writes; a busy timeout so writers
queue instead of failing; BEGIN IMMEDIATE for every write so two processes
never deadlock upgrading a read lock. No SQL lives outside `state/`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from cutover.state.schema import SCHEMA_VERSION, SchemaTooNew, migrate


class StoreError(Exception):
    """The store cannot be used; the message says why and what to do."""


class Store:
    """A connection to the session store. Safe to share between threads."""

    def __init__(self, path: Path | str, busy_timeout: float = 5.0, *, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(
                f"{self.path}: no session store here; import a matrix (cutover import FILE.csv) "
                "or open the simulated fleet (cutover demo) first, or pass --config"
            )
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(str(self.path), timeout=busy_timeout, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable SQLite store ({exc})") from None
        self.db = sqlite_utils.Database(conn, execute_plugins=False)
        self._lock = threading.RLock()
        try:
            with self.write():
                migrate(self.db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable SQLite store ({exc})") from None
        except SchemaTooNew as exc:
            raise StoreError(f"{self.path}: {exc}") from None

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One atomic write. Nested calls join the outer transaction."""
        with self._lock:
            if self.db.conn.in_transaction:
                yield self.db
                return
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.rollback()
                raise
            else:
                self.db.conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """A consistent view across several queries."""
        with self._lock:
            if self.db.conn.in_transaction:
                yield self.db
                return
            self.db.conn.execute("BEGIN")
            try:
                yield self.db
            finally:
                self.db.rollback()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["SCHEMA_VERSION", "Store", "StoreError"]
