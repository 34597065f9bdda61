"""The session store on PostgreSQL: the same interface as the SQLite store (`Store`), for a war room that
outgrows one jump host.

The store lives in one PostgreSQL schema (the first in the URL's search_path, `public` if none), so several
stores can share a database. The SQLite store's guarantees hold the same way:

- one writer at a time: every write transaction first takes a transaction-scoped advisory lock keyed by the
  store's schema (`pg_advisory_xact_lock`), the equivalent of SQLite's BEGIN IMMEDIATE. Everything the
  store's modules build on that (lease epochs that fence a stalled engine, tenant locks, the audit chain's
  head read and written in one transaction) therefore holds unchanged across hosts. A writer that waits longer
  than `lock_wait` for another gets StoreBusy, as on SQLite.
- a consistent view across several queries: `read()` is a REPEATABLE READ, READ ONLY transaction.
- the schema's version and its append-only audit trail (triggers refuse an UPDATE or DELETE of an event).

Connections come from psycopg's pool; each thread keeps its own while it runs (as each thread has its own
SQLite connection), and gives it back when the thread closes it or the store closes.
The URL's password, if it has one, is never shown: `location` is the URL without it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from cutover.state.postgres.database import PgDatabase, configure
from cutover.state.postgres.dialect import UnsupportedStatement
from cutover.state.postgres.notify import FUNCTION, PgChangeListener, notify_statements
from cutover.state.postgres.schema import (
    VERSION_TABLE,
    create_schema_statements,
    postgres_schema,
    upgrade_statements,
)
from cutover.state.schema import SCHEMA_VERSION
from cutover.state.store import LOCK_WAIT, ChangeListener, Store, StoreBusy, StoreError, StoreFull

log = logging.getLogger(__name__)

POOL_SIZE = 16  # connections at most: a console's workers, the engine's loop and its heartbeat thread


def redacted(url: str) -> str:
    """The URL as it may be shown or logged: without its password."""
    params = conninfo_to_dict(url)
    if "password" in params:
        params["password"] = "***"
    host = params.get("host", "")
    database = params.get("dbname", "")
    schema = _schema_from(params)
    where = f"{host}/{database}" if host else str(database)
    return f"postgresql://{params.get('user', '')}@{where}" + (f" (schema {schema})" if schema else "")


class StoreLocation(str):
    """Where a PostgreSQL store is, as shown in messages."""


def _schema_from(params: dict[str, Any]) -> str:
    options = str(params.get("options") or "")
    for option in options.split():
        for prefix in ("-csearch_path=", "--search_path="):
            if option.startswith(prefix):
                return option[len(prefix) :].split(",")[0].strip().strip('"')
    return ""


def _why_not(url: str) -> str:
    """What the server (or the network) says to one connection attempt, on one line, without the password."""
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.Error as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        reason = lines[-1] if lines else type(exc).__name__
        password = conninfo_to_dict(url).get("password")
        return reason.replace(str(password), "***") if password else reason
    return "it answers now"


class PgStore(Store):
    """The session store on PostgreSQL. A subclass of `Store` so that nothing above `state/` knows which one
    it talks to; none of the SQLite store's file handling applies, and each method here says what replaces it."""

    def __init__(
        self,
        url: str,
        busy_timeout: float = 5.0,
        *,
        create: bool = True,
        read_only: bool = False,
        lock_wait: float = LOCK_WAIT,
    ):
        self.url = url
        self.location = redacted(url)
        # What messages name (they format `store.path`): the URL without its password. Not a Path, which would
        # fold its "//"; never opened as a file.
        self.path = StoreLocation(self.location)  # type: ignore[assignment]
        self.busy_timeout = busy_timeout
        self.lock_wait = lock_wait
        self._in_memory = False
        self.read_only = read_only
        self._local = threading.local()
        self._connections: list[Any] = []
        self._registry = threading.Lock()
        self._shared = None
        self._lock = nullcontext()
        self._identity = None
        self._users = 0
        self._idle = threading.Condition()
        self._depth = threading.local()
        self._schema = _schema_from(conninfo_to_dict(url)) or "public"
        # The advisory lock's key: one writer at a time per store (schema), whichever host it writes from.
        self._lock_key = zlib.crc32(f"cutover store {self._schema}".encode()) - 2**31
        self._tables = postgres_schema().tables
        self._pool = ConnectionPool(
            make_conninfo(url, connect_timeout=max(1, int(busy_timeout))),
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True},
            configure=configure,
            open=False,
            name="cutover-store",
        )
        try:
            self._pool.open(wait=True, timeout=max(1.0, busy_timeout))
        except PoolTimeout:
            self._pool.close()
            raise StoreError(
                f"{self.location}: cannot connect to PostgreSQL within {busy_timeout:.0f} s ({_why_not(url)}): check "
                "the URL, that the server is up and that this host may connect (the password comes from PGPASSWORD "
                "or ~/.pgpass)"
            ) from None
        try:
            version = self.schema_version
            if version == 0:
                if not create or read_only:
                    raise StoreError(
                        f"{self.location}: no cutover store here (schema {self._schema} has none); move a store "
                        "here with cutover store migrate, or open it once with write access to create it"
                    )
                self._create()
            elif version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.location}: this store has schema {version} but this cutover knows {SCHEMA_VERSION}: "
                    "upgrade cutover"
                )
            elif version < SCHEMA_VERSION:
                if read_only or not create:
                    raise StoreError(
                        f"{self.location}: written by an older cutover (schema {version} of {SCHEMA_VERSION}); "
                        "open it once with write access (cutover jobs --write, or any action) to upgrade it"
                    )
                self._upgrade()
            elif not read_only and not self._notifies():
                self._add_notify()  # a store made before its changes were notified
        except BaseException:
            self.close()
            raise

    def _create(self) -> None:
        with self.write() as db:
            db.execute(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"')
            if VERSION_TABLE in db.tables():  # another process created it while this one waited for the lock
                return
            for statement in create_schema_statements():
                db.raw.execute(statement)
            self._add_notify()

    def _upgrade(self) -> None:
        """Bring a store an older cutover made up to SCHEMA_VERSION: its migrations' statements, translated
        (postgres/schema.py), in one transaction under the write lock; another process that got there first
        leaves nothing to do."""
        with self.write() as db:
            version = self.schema_version
            if version >= SCHEMA_VERSION:
                return
            try:
                statements = upgrade_statements(version)
            except UnsupportedStatement as exc:
                raise StoreError(
                    f"{self.location}: cannot upgrade this store from schema {version} to {SCHEMA_VERSION} on "
                    f"PostgreSQL ({exc}); nothing was changed"
                ) from None
            for statement in statements:
                db.raw.execute(statement, ())
            self._add_notify()  # the tables the migrations made notify too
            log.info("%s: upgraded from schema %s to %s", self.location, version, SCHEMA_VERSION)

    def _notifies(self) -> bool:
        row = self.db.execute(
            "SELECT count(*) FROM pg_proc JOIN pg_namespace ON pg_namespace.oid = pronamespace "
            "WHERE proname = ? AND nspname = ?",
            [FUNCTION, self._schema],
        ).fetchone()
        return bool(row and row[0])

    def _add_notify(self) -> None:
        with self.write() as db:
            for statement in notify_statements(shape.name for shape in self._tables):
                db.raw.execute(statement)

    def change_listener(self) -> ChangeListener:
        """Woken by LISTEN/NOTIFY when any process, on any host, commits a change to this store."""
        return PgChangeListener(self.url, self._schema)

    @property
    def db(self) -> PgDatabase:  # type: ignore[override]  # the same surface as sqlite-utils' Database
        db: PgDatabase | None = getattr(self._local, "db", None)
        if db is None:
            self._reclaim_from_ended_threads()
            try:
                raw = self._pool.getconn(timeout=self.lock_wait)
            except PoolTimeout:
                raise StoreBusy(
                    f"{self.location}: no free connection to PostgreSQL for {self.lock_wait:.0f} s"
                ) from None
            db = PgDatabase(raw, self._tables, owner=threading.current_thread())
            self._local.db = db
            with self._registry:
                self._connections.append(db)
        return db

    def _reclaim_from_ended_threads(self) -> None:
        """Give back the connections of threads that ended without closing theirs (an event loop's executor
        threads when the engine restarts, a worker that finished): the pool would otherwise run dry after a few
        restarts and every write would wait for a connection that never comes."""
        with self._registry:
            ended = [db for db in self._connections if not db.owner.is_alive()]
            self._connections = [db for db in self._connections if db.owner.is_alive()]
        for db in ended:
            self._release(db)

    @property
    def schema_version(self) -> int:
        db = self.db
        if VERSION_TABLE not in db.tables():
            return 0
        row = db.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()
        return int(row[0]) if row else 0

    def renumber(self, db: Any) -> None:
        """After rows were copied in with their own numbers: each self-numbering column's sequence moves past
        the largest, so the next job step (or simulated change) is not given a number already taken; and the
        tables' statistics are gathered."""
        for shape in self._tables:
            if len(shape.key) != 1:
                continue
            sequence = db.raw.execute("SELECT pg_get_serial_sequence(%s, %s)", [shape.name, shape.key[0]]).fetchone()
            if sequence and sequence[0]:
                db.raw.execute(
                    f"SELECT setval(%s, coalesce((SELECT max({shape.key[0]}) FROM {shape.name}), 0) + 1, false)",
                    [sequence[0]],
                )
        # The planner's statistics of the tables just filled, now rather than at autovacuum's next round: without
        # them the change feed's few rows are found by scanning the whole tenants table.
        db.raw.execute("ANALYZE")

    def integrity_check(self, db: Any, lines: int) -> tuple[str, ...]:
        """No client-side check of a PostgreSQL database's pages compares with SQLite's file check: the server
        verifies its own (data checksums, and amcheck for an administrator). The audit chain is still walked."""
        return ("ok",)

    def check_identity(self) -> None:
        """A file replaced under a running process has no counterpart: the database is the store."""

    @contextmanager
    def write(self) -> Iterator[PgDatabase]:  # type: ignore[override]
        """One atomic write, after every earlier writer of this store (the advisory lock). Nested calls in the
        same thread join the outer transaction."""
        if self.read_only:
            raise StoreError(f"{self.location}: opened read-only; this command does not change the store")
        with self._in_use():
            db = self.db
            if db.in_transaction:
                yield db
                return
            try:
                # One round trip: the transaction, how long to wait for the lock, and the lock.
                db.begin(
                    f"BEGIN; SET LOCAL lock_timeout = '{int(self.lock_wait * 1000)}ms'; "
                    f"SELECT pg_advisory_xact_lock({self._lock_key})"
                )
            except psycopg.errors.LockNotAvailable:
                db.rollback()
                raise StoreBusy(
                    f"{self.location}: another process has held the store's write lock for over "
                    f"{self.lock_wait:.0f} s: end that transaction and try again"
                ) from None
            except BaseException:
                db.rollback()
                raise
            try:
                yield db
                db.commit()
            except psycopg.errors.DiskFull as exc:
                db.rollback()
                raise StoreFull(
                    f"{self.location}: the database's disk is full ({exc}): nothing more can be recorded until "
                    "there is room"
                ) from None
            except BaseException:
                db.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[PgDatabase]:  # type: ignore[override]
        """A consistent view across several queries (a REPEATABLE READ snapshot)."""
        with self._in_use():
            db = self.db
            if db.in_transaction:
                yield db
                return
            db.begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                yield db
            finally:
                db.rollback()

    @contextmanager
    def read_one(self) -> Iterator[PgDatabase]:  # type: ignore[override]
        """One statement is its own snapshot on PostgreSQL: no BEGIN and ROLLBACK around it."""
        with self._in_use():
            yield self.db

    def close(self) -> None:
        """Give every thread's connection back and close the pool, once no thread is inside read() or write()."""
        super().close()
        self._pool.close()

    def _close_connection(self, db: Any) -> None:
        self._release(db)

    def _release(self, db: PgDatabase) -> None:
        if not db.raw.closed:
            with contextlib.suppress(psycopg.Error):  # a broken connection: the pool discards it
                db.rollback()
        self._pool.putconn(db.raw)
