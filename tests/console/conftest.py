"""The console's tests run on a real store file, a frozen clock and a fixed seed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from console_fleet import START, build_fleet, open_session

from cutover.actions.wiring.session import Session
from cutover.console.app import CutoverApp
from cutover.model.clock import ManualClock


@pytest.fixture
def fleet_clock() -> ManualClock:
    return ManualClock(start=START)


@pytest.fixture
def fleet_path(tmp_path: Path, fleet_clock: ManualClock) -> Path:
    path = tmp_path / "cutover.db"
    build_fleet(path, fleet_clock)
    return path


@pytest.fixture
def session(fleet_path: Path, fleet_clock: ManualClock) -> Iterator[Session]:
    opened = open_session(fleet_path, fleet_clock)
    yield opened
    opened.close()


@pytest.fixture
def make_app(session: Session) -> Callable[..., CutoverApp]:
    def make(**kwargs) -> CutoverApp:
        return CutoverApp(session, **kwargs)

    return make


@pytest.fixture
def writer(fleet_path: Path, fleet_clock: ManualClock) -> Iterator[Session]:
    """A second connection to the same store, as the engine would have: what it writes, the console reads."""
    opened = open_session(fleet_path, fleet_clock)
    yield opened
    opened.close()
