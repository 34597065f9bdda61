"""A simulated world that does not run at real time says so in the header at every width: x10, paused."""

from __future__ import annotations

import pytest
from engine_helpers import Harness
from pilot_helpers import screen_lines

from cutover.console.app import CutoverApp
from cutover.state.simworld import SimWorldStore

pytestmark = pytest.mark.asyncio


def set_speed(h: Harness, speed: float) -> None:
    SimWorldStore(h.store).update_clock(lambda world, at, _speed, alive: (world, at, speed))


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_header_shows_the_worlds_speed_unless_it_is_real_time(tmp_path, size) -> None:
    h = Harness(tmp_path, ready=2)
    app = CutoverApp(h.session)
    async with app.run_test(size=size) as pilot:
        set_speed(h, 1.0)
        await app.refresh_now()
        await pilot.pause()
        header = screen_lines(app)[0]
        assert " x1" not in header and "paused" not in header
        set_speed(h, 10.0)
        await app.refresh_now()
        await pilot.pause()
        assert "EST x10" in screen_lines(app)[0] or "EDT x10" in screen_lines(app)[0]
        set_speed(h, 0.0)
        await app.refresh_now()
        await pilot.pause()
        assert " paused" in screen_lines(app)[0]
