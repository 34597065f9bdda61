"""The SQLite session store: one file per war room, shared by every console.

WAL mode so viewers read while the engine writes; a busy timeout so writers
queue instead of failing; BEGIN IMMEDIATE for every write so two processes
never deadlock upgrading a read lock. A writer that still finds the store
locked (someone holds a transaction open in a sqlite3 shell) tries again with
backoff for up to LOCK_WAIT before it gives up with a message, never a
traceback. Commands that only read open the file read-only, so they work on a
read-only mount and never wait for a writer. No SQL lives outside `state/`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Protocol

import sqlite_utils

from cutover.state.schema import SCHEMA_VERSION, SchemaTooNew, migrate

log = logging.getLogger(__name__)

LOCK_WAIT = 120.0  # seconds a writer keeps trying while another process holds the write lock


class StoreError(Exception):
    """The store cannot be used; the message says why and what to do."""


class StoreBusy(StoreError):
    """Another process held the store's write lock for longer than this process would wait."""


class StoreFull(StoreError):
    """The store's disk (or its size limit) is full: nothing more can be written until there is room."""


class StoreGone(StoreError):
    """The store's file was deleted or replaced under a running process: what it writes now is lost."""


class ChangeListener(Protocol):
    """Told when another process changes the store (on PostgreSQL: LISTEN/NOTIFY). Used from one thread."""

    def wait(self, timeout: float) -> frozenset[str] | None:
        """The tables changed since the last call, waiting up to `timeout` s for the first (empty: none);
        None when changes may have been missed (read everything)."""
        ...

    def close(self) -> None: ...


class Store:
    """The session store. Safe to share between threads: each thread gets its own
    connection to the file (WAL lets them read while one writes), so a console's
    workers never read through a cursor another thread's write disturbs.
    An in-memory store (":memory:", for dry runs) has one connection behind a lock.
    """

    def __init__(
        self,
        path: Path | str,
        busy_timeout: float = 5.0,
        *,
        create: bool = True,
        read_only: bool = False,
        lock_wait: float = LOCK_WAIT,
    ):
        """`read_only`: open the file read-only (no schema upgrade, no write): what `status`, `events`,
        `jobs` and `audit verify` use, so they read a store on a read-only mount and take no lock."""
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.lock_wait = lock_wait
        self._in_memory = str(path) == ":memory:"
        self.read_only = read_only and not self._in_memory
        if self.read_only:
            create = False
        if not create and not self._in_memory:
            _refuse_missing_or_empty(self.path)
        if create and not self._in_memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite_utils.Database] = []
        self._registry = threading.Lock()
        self._shared: sqlite_utils.Database | None = None
        # Only the in-memory store shares one connection between threads.
        self._lock: AbstractContextManager[object] = threading.RLock() if self._in_memory else nullcontext()
        self._identity: tuple[int, int] | None = None
        # How many threads are inside read() or write(): close() waits for them (closing a connection
        # another thread is using crashes sqlite with a segfault, not an exception).
        self._users = 0
        self._idle = threading.Condition()
        self._depth = threading.local()  # this thread's own nesting, not waited for by its own close()
        try:
            if not create and not self._in_memory and self.schema_version == 0:
                raise StoreError(
                    f"{self.path}: not a cutover store (it has no cutover schema); point --config or "
                    "state.path at your war room's store"
                )
            if self.read_only:
                self._check_readable_schema()
            else:
                with self.write():
                    migrate(self.db)
            self._identity = self._file_identity()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{self.path}: not a usable SQLite store ({exc})") from None
        except StoreError:
            self.close()
            raise
        except SchemaTooNew as exc:
            self.close()
            raise StoreError(f"{self.path}: {exc}") from None

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection to the store."""
        if self._shared is not None:
            return self._shared
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            if self._in_memory:
                self._shared = db
            else:
                self._local.db = db
        return db

    def _connect(self) -> sqlite_utils.Database:
        try:
            conn = self._open_read_only() if self.read_only else self._open_read_write()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable SQLite store ({exc})") from None
        db = sqlite_utils.Database(conn, execute_plugins=False)
        with self._registry:
            self._connections.append(db)
        return db

    def _open_read_write(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        """mode=ro; on a read-only mount, where SQLite cannot make the WAL index, immutable=1."""
        uri = self.path.resolve().as_uri()
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=self.busy_timeout, check_same_thread=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        return conn

    def _check_readable_schema(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"this store has schema {version} but this cutover knows {SCHEMA_VERSION}: upgrade cutover"
            )
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: written by an older cutover (schema {version} of {SCHEMA_VERSION}); open it once "
                "with write access (cutover jobs --write, or any action) to upgrade it"
            )

    def _file_identity(self) -> tuple[int, int] | None:
        if self._in_memory:
            return None
        stat = os.stat(self.path)
        return stat.st_dev, stat.st_ino

    def check_identity(self) -> None:
        """Raise StoreGone if the file at our path is no longer the one we opened (deleted, or replaced)."""
        if self._identity is None:
            return
        try:
            now = self._file_identity()
        except FileNotFoundError:
            raise StoreGone(
                f"{self.path} was deleted while this process was using it: its jobs and audit trail went with it; "
                "this process stops acting. Restore the store from a backup before anyone acts again"
            ) from None
        if now != self._identity:
            raise StoreGone(
                f"{self.path} was replaced by another file while this process was using it; this process stops "
                "acting. Check which file is the war room's store before anyone acts again"
            )

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def renumber(self, db: sqlite_utils.Database) -> None:
        """After rows were copied in with their own numbers (cutover store migrate): SQLite numbers the next
        row after the largest already there by itself."""

    def change_listener(self) -> ChangeListener | None:
        """Something that wakes a reader when another process changes the store; None on SQLite, which has
        no such signal across processes (a reader reads once a second, cheaply: `PRAGMA data_version`'s
        equivalent is the change feed's revision)."""
        return None

    def integrity_check(self, db: sqlite_utils.Database, lines: int) -> tuple[str, ...]:
        """SQLite's check of the file, at most `lines` problems; ("ok",) when there are none."""
        return tuple(row[0] for row in db.execute(f"PRAGMA integrity_check({int(lines)})"))

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One atomic write. Nested calls in the same thread join the outer transaction."""
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only; this command does not change the store")
        with self._in_use(), self._lock:
            db = self.db
            if db.conn.in_transaction:
                yield db
                return
            self._begin(db)
            try:
                yield db
                db.conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                db.rollback()
                if "full" in str(exc):
                    raise StoreFull(
                        f"{self.path}: the disk is full ({exc}): nothing more can be recorded until there is room"
                    ) from None
                raise
            except BaseException:
                db.rollback()
                raise

    def _begin(self, db: sqlite_utils.Database) -> None:
        """BEGIN IMMEDIATE, trying again with backoff while another process holds the write lock."""
        started = time.monotonic()
        pause = 0.05
        while True:
            try:
                db.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                waited = time.monotonic() - started
                if waited + pause > self.lock_wait:
                    raise StoreBusy(
                        f"{self.path}: another process has held the store's write lock for over {waited:.0f} s "
                        "(a sqlite3 shell with an open transaction?): end that transaction and try again"
                    ) from None
                if pause == 0.05:
                    log.warning(
                        "%s: the store is locked by another writer; waiting (up to %.0f s)", self.path, self.lock_wait
                    )
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """A consistent view across several queries."""
        with self._in_use(), self._lock:
            db = self.db
            if db.conn.in_transaction:
                yield db
                return
            db.conn.execute("BEGIN")
            try:
                yield db
            finally:
                db.rollback()

    @contextmanager
    def read_one(self) -> Iterator[sqlite_utils.Database]:
        """One statement's read: no view across several is needed, so a store that must open a transaction for
        one (PostgreSQL: two more round trips) need not. Here, the same as read() (an in-memory store's lock)."""
        with self.read() as db:
            yield db

    @contextmanager
    def _in_use(self) -> Iterator[None]:
        with self._idle:
            self._users += 1
        self._depth.n = getattr(self._depth, "n", 0) + 1
        try:
            yield
        finally:
            self._depth.n -= 1
            with self._idle:
                self._users -= 1
                self._idle.notify_all()

    def close(self) -> None:
        """Close every thread's connection, once no thread is inside read() or write() (a worker thread
        still reading when the console quits finishes its query first; after 10 s it is closed anyway)."""
        with self._idle:
            mine = getattr(self._depth, "n", 0)
            self._idle.wait_for(lambda: self._users <= mine, timeout=CLOSE_WAIT_S)
            with self._registry:
                connections, self._connections = self._connections, []
            for db in connections:
                self._close_connection(db)
            self._local = threading.local()
            self._shared = None

    def _close_connection(self, db: sqlite_utils.Database) -> None:
        db.close()

    def close_thread(self) -> None:
        """Close this thread's own connection: a thread that ends (the lease's heartbeat) leaves none behind."""
        if self._shared is not None:
            return
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            return
        self._local.db = None
        with self._registry:
            if db in self._connections:
                self._connections.remove(db)
        self._close_connection(db)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


CLOSE_WAIT_S = 10.0


def _refuse_missing_or_empty(path: Path) -> None:
    """A store that should exist and does not, or is an empty file, is never quietly made anew."""
    if not path.exists():
        raise StoreError(
            f"{path}: no session store here; import a matrix (cutover import FILE.csv) "
            "or open the simulated fleet (cutover demo) first, or pass --config"
        )
    if path.is_file() and path.stat().st_size == 0:
        raise StoreError(
            f"{path}: the file is empty (0 bytes): it is not a cutover store any more (truncated?). Restore it "
            "from a backup; only if you mean to start again, remove it and run cutover demo or cutover import"
        )


__all__ = ["SCHEMA_VERSION", "Store", "StoreBusy", "StoreError", "StoreFull", "StoreGone"]
