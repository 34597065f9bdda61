"""The console on a PostgreSQL store: another host's change is on screen as soon as it commits (LISTEN/NOTIFY),
not at the next once-a-second read."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from console_fleet import START, build_fleet, open_session
from pilot_helpers import until

from cutover.actions.wiring.session import Session
from cutover.console.app import CutoverApp
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.clock import ManualClock

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]  # slow: a real PostgreSQL server


@pytest.fixture
def fleet_url(tmp_path: Path, postgres_servers) -> Iterator[str]:
    from postgres_server import available_binaries, schema_url

    server = postgres_servers.url(available_binaries()[0].name)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    url = schema_url(server, schema)
    build_fleet(tmp_path / "cutover.db", ManualClock(start=START), url=url)
    yield url
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sessions(tmp_path: Path, fleet_url: str) -> Iterator[tuple[Session, Session]]:
    """The console's session and another host's (the engine's), on the same PostgreSQL store."""
    clock = ManualClock(start=START)
    console, elsewhere = (open_session(tmp_path / "unused.db", clock, url=fleet_url) for _ in range(2))
    yield console, elsewhere
    console.close()
    elsewhere.close()


async def test_a_change_committed_on_another_host_shows_without_waiting_for_the_next_read(sessions) -> None:
    console, elsewhere = sessions
    app = CutoverApp(console, refresh_interval=3600.0)  # no timed read in this test: only a notification
    async with app.run_test(size=(120, 35)) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        chosen = table.visible_ids[0]
        before = table.row(chosen).cell("errors").text
        reads = app.updates_applied
        started = time.monotonic()
        elsewhere.tenants.observe(chosen, error_rate=0.031)  # the engine on another host records it
        await until(pilot, lambda: table.row(chosen).cell("errors").text != before, timeout=5.0, what="the change")
        assert "3.1" in table.row(chosen).cell("errors").text
        assert time.monotonic() - started < 2.0  # well under a second on an idle machine
        assert app.updates_applied - reads <= 2  # one read for the change, not a burst of them
