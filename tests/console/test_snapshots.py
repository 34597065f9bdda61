"""Snapshots of every screen, on the fixture fleet with a frozen clock and a fixed seed.

When one changes, render the SVG to PNG (rsvg-convert) and look at it before
accepting it with --snapshot-update. A traceback or an empty screen is a failure.
"""

from __future__ import annotations

from cutover.console.screens.confirm import ConfirmMany, ConfirmOne
from cutover.console.widgets.fleet_table import FleetTable


async def _ready(pilot) -> None:
    await pilot.app.refresh_now()
    await pilot.pause()


async def _until_screen(pilot, screen_type) -> None:
    for _ in range(300):
        if isinstance(pilot.app.screen, screen_type):
            await pilot.pause()
            return
        await pilot.pause(0.01)
    raise AssertionError(f"no {screen_type.__name__} on screen")


def test_main_screen_120x35(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 35), run_before=_ready)


def test_main_screen_80x24(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_ready)


def test_help(snap_compare, make_app) -> None:
    async def run_before(pilot) -> None:
        await _ready(pilot)
        await pilot.press("question_mark")

    assert snap_compare(make_app(), terminal_size=(120, 35), run_before=run_before)


def test_confirm_one_tenant(snap_compare, make_app) -> None:
    async def run_before(pilot) -> None:
        await _ready(pilot)
        table = pilot.app.screen.query_one(FleetTable)
        table.move_cursor_to(next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"))
        await pilot.press("c")
        await _until_screen(pilot, ConfirmOne)

    assert snap_compare(make_app(), terminal_size=(120, 35), run_before=run_before)


def test_confirm_many_tenants(snap_compare, make_app) -> None:
    async def run_before(pilot) -> None:
        await _ready(pilot)
        table = pilot.app.screen.query_one(FleetTable)
        ready = [t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"][:2]
        lagging = next(t for t in table.visible_ids if table.row(t).cell("next").text == "final sync")
        backend = next(t for t in table.visible_ids if table.row(t).cell("next").text.startswith("fix: 1 backend"))
        table.set_marks([*ready, lagging, backend])
        await pilot.press("c")
        await _until_screen(pilot, ConfirmMany)
        await pilot.press("2")

    assert snap_compare(make_app(), terminal_size=(120, 35), run_before=run_before)


def test_tenant_detail(snap_compare, make_app) -> None:
    async def run_before(pilot) -> None:
        await _ready(pilot)
        await pilot.press("enter")
        screen = pilot.app.screen
        for _ in range(100):
            await pilot.pause(0.02)
            if screen.query_one("#spark-share").data:
                break

    assert snap_compare(make_app(), terminal_size=(120, 35), run_before=run_before)
