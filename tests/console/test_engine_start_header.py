"""The first frames never say NO ENGINE LEADS while this console is about to lead; an observer has no marks."""

from __future__ import annotations

import threading

import pytest
from engine_helpers import Harness
from pilot_helpers import screen_lines, until

from cutover.console.app import CutoverApp
from cutover.console.widgets.fleet_table import FleetTable

pytestmark = pytest.mark.asyncio

SIZES = [(120, 35), (80, 24)]


def header(app) -> str:
    return str(app.screen.query_one("#header").render())


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", SIZES)
async def test_the_header_says_starting_engine_until_the_lease_is_decided(tmp_path, size) -> None:
    h = Harness(tmp_path, ready=4)
    built = threading.Event()

    def factory():
        built.wait(20)  # the engine is slow to build: the providers import, the lease is not asked yet
        return h.engine

    app = CutoverApp(h.session, engine_factory=factory)
    try:
        async with app.run_test(size=size) as pilot:
            await app.refresh_now()
            await pilot.pause()
            assert "starting engine…" in header(app)
            assert "NO ENGINE LEADS" not in "\n".join(screen_lines(app))
            built.set()
            await until(pilot, lambda: "leader" in header(app))
            assert "NO ENGINE LEADS" not in header(app) and "starting engine" not in header(app)
    finally:
        built.set()
        app.shutdown_engine()


@pytest.mark.parametrize("size", SIZES)
async def test_an_observer_has_no_marks_to_make(make_app, size) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        await pilot.press("space", "space")
        assert table.marked == frozenset()
        assert "Mark" not in screen_lines(app)[-1]
        assert "marked" not in header(app)
