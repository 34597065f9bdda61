"""Shared fixtures: a real store file in a temp dir, a driven clock, a fixed actor."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover.state.clock import ManualClock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up the developer's own cutover settings."""
    import os

    for name in list(os.environ):
        if name.startswith("CUTOVER_"):
            monkeypatch.delenv(name)


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
