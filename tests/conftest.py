"""Shared fixtures: a real store file in a temp dir, a driven clock, a fixed actor."""

from __future__ import annotations

import gc
import logging
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

# Imported before any test runs: hypothesis's pytest plugin would otherwise import (and so compile) it at
# the end of the run, and on Python 3.11.7 compiling after threaded tests can fail with a spurious
# "AST constructor recursion depth mismatch" SystemError (CPython gh-106905, fixed in 3.11.8).
import hypothesis  # noqa: F401
import pytest

from cutover.model.clock import ManualClock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never pick up the developer's own cutover settings (environment or ~/.config/cutover)."""
    import os

    for name in list(os.environ):
        if name.startswith("CUTOVER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))


@pytest.fixture(autouse=True)
def _unfreeze_the_collector() -> Iterator[None]:
    """An engine or a console freezes what it loaded at start-up out of the garbage collector's way
    (actions/engine/gc_freeze.py); in one pytest process that would keep every earlier test's garbage for good."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Whatever handlers a test adds to the root logger (the console's or the CLI's log file) go after it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


@pytest.fixture
def actor() -> Actor:
    return Actor(operator="alice", host="jump-1", ssh_client="10.0.0.5")


# --- the store: SQLite, and PostgreSQL for the modules marked `both_stores` ----------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test of a module (or class) marked `both_stores` runs once on each store: SQLite, then PostgreSQL from
    pip (pgserver's, on every machine `make` set up). With CUTOVER_TEST_POSTGRES=all (`make test-postgres`) also
    on the system's PostgreSQL where installed, an older major version."""
    if metafunc.definition.get_closest_marker("both_stores") is None:
        return
    from postgres_server import EVERYTHING, available_binaries

    servers = available_binaries() if EVERYTHING else available_binaries()[:1]
    # On PostgreSQL a test starts a real server (once a session) and pays a round trip a statement: `slow`.
    on_postgres = [pytest.param(server.name, marks=pytest.mark.slow) for server in servers]
    metafunc.parametrize("store_backend", ["sqlite", *on_postgres], indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The engine's tests on PostgreSQL first (the longest: 5-20 s each), the rest in their order: with two test
    processes (`make test` runs `-n 2`), a long test left for the end would keep one busy while the other idles."""
    items.sort(key=lambda item: not _on_postgres(item))


def _on_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("store_backend", "sqlite") != "sqlite"


@pytest.fixture
def store_backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


class PostgresServers:
    """The PostgreSQL servers of this test session, each started when a test first needs it."""

    def __init__(self) -> None:
        self._urls: dict[str, str] = {}
        self._stack = ExitStack()

    def url(self, name: str) -> str:
        from postgres_server import available_binaries, running_postgres

        if name not in self._urls:
            binaries = {found.name: found for found in available_binaries()}[name]
            self._urls[name] = self._stack.enter_context(running_postgres(binaries))
        return self._urls[name]

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def postgres_servers() -> Iterator[PostgresServers]:
    servers = PostgresServers()
    yield servers
    servers.close()


@pytest.fixture
def store_location(tmp_path: Path, store_backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """Where the test's store lives: a file, or a fresh schema of a PostgreSQL server (dropped afterwards)."""
    if store_backend == "sqlite":
        yield str(tmp_path / "cutover.db")
        return
    import psycopg
    from postgres_server import schema_url

    server = request.getfixturevalue("postgres_servers").url(store_backend)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield schema_url(server, schema)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(autouse=True)
def _helpers_use_the_tests_store(
    store_backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a module marked `both_stores`, every test runs on each store, and the helpers that make a store of
    their own (engine_helpers' Harness and war_room) make it there too: on PostgreSQL, in the test's schema."""
    if store_backend != "sqlite":
        import engine_helpers

        monkeypatch.setattr(engine_helpers, "STORE_LOCATION", request.getfixturevalue("store_location"))


@pytest.fixture
def store(store_location: str):
    from cutover.state.location import open_store

    with open_store(store_location) as opened:
        yield opened


@pytest.fixture
def events(store: Store, actor: Actor, clock: ManualClock) -> EventLog:
    return EventLog(store, actor, clock)


@pytest.fixture
def tenants(store: Store, events: EventLog) -> TenantStore:
    return TenantStore(store, events)


@pytest.fixture
def runbook_matrix() -> Path:
    return DATA / "runbook_matrix.csv"


# --- the simulated fleet -------------------------------------------------------------


@pytest.fixture
def make_simulated(store: Store, clock: ManualClock, actor: Actor, tenants: TenantStore):
    """Build the simulated world in the test's store, on its clock:
    make_simulated(size=300, seed=7, ambient_faults=False, seed_night=True) -> Simulated.

    Ambient node losses are off unless asked for, so a test sees only the faults it injects.
    """
    from sim_helpers import Simulated, build_simulated

    def make(size: int = 300, seed: int = 7, *, ambient_faults: bool = False, seed_night: bool = True) -> Simulated:
        return build_simulated(
            store, clock, actor, size=size, seed=seed, ambient_faults=ambient_faults, seed_night=seed_night
        )

    return make


@pytest.fixture
def simulated(make_simulated):
    """A 300-tenant migration night (7 ready tonight) on the test's clock."""
    return make_simulated()
