"""Shared fixtures: a real store file in a temp dir, a driven clock, a fixed actor."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
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


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "cutover.db") as opened:
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
