"""Dialogs fit on the screen: what the operator acts with is always visible; long content scrolls in its own area."""

from __future__ import annotations

import pytest
from console_fleet import START, build_night, open_session
from pilot_helpers import screen_lines, until

from cutover.console.app import CutoverApp
from cutover.console.screens.confirm import ConfirmMany, ConfirmOne
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.clock import ManualClock

pytestmark = pytest.mark.asyncio

SIZES = [(120, 35), (80, 24)]


def assert_on_screen(app, *selectors: str) -> None:
    """Each widget is inside the dialog's box, inside the terminal, and not under another part of the box."""
    dialog = app.screen
    box = dialog.query_one("#confirm-box").region
    body = dialog.query("#confirm-body")
    for selector in selectors:
        region = dialog.query_one(selector).region
        assert region.height > 0, f"{selector} has no room"
        assert box.contains_region(region), f"{selector} ({region}) is outside the dialog's box ({box})"
        assert region.bottom <= app.size.height, f"{selector} is below the terminal"
        if body:
            assert not body.first().region.overlaps(region), f"{selector} is under the scrolling part"


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", SIZES)
async def test_the_batch_dialog_of_24_among_401_excluded_fits_and_its_lists_scroll(tmp_path, size) -> None:
    clock = ManualClock(start=START)
    build_night(tmp_path / "night.db", clock)
    session = open_session(tmp_path / "night.db", clock)
    app = CutoverApp(session)
    try:
        async with app.run_test(size=size) as pilot:
            await app.refresh_now()
            await pilot.pause()
            await pilot.press("b")
            await until(pilot, lambda: isinstance(app.screen, ConfirmMany))
            await pilot.pause()
            dialog = app.screen
            assert len(dialog.targets.eligible) == 24
            summary = dialog.targets.summary()
            assert summary == "24 eligible, 401 excluded: 380 pending, 18 syncing, 3 validating (listed below)"
            assert_on_screen(app, "#confirm-reason", "#confirm-count", "#confirm-error", "#cancel")
            shown = "\n".join(screen_lines(app))
            assert "Type 24 and press Enter to start the batch; Esc cancels." in shown
            # The groups, the tenants and every exclusion are there, a scroll away, in the bounded area.
            body = dialog.query_one("#confirm-body")
            assert body.max_scroll_y > 0
            body.scroll_end(animate=False)
            await pilot.pause()
            shown = "\n".join(screen_lines(app))
            assert "3 validating:" in shown and "T-0045" in shown  # the smallest group, at the end of the list
            assert_on_screen(app, "#confirm-reason", "#confirm-count", "#cancel")
            # Typing the count where it can be seen: a wrong one says so on the message line, on screen.
            await pilot.press(*"wave 1 tonight", "enter", "1", "enter")
            assert "1 is not 24: nothing done" in "\n".join(screen_lines(app))
    finally:
        session.close()


@pytest.mark.parametrize("size", SIZES)
async def test_a_two_tenant_confirmation_keeps_both_fields_and_cancel_on_screen(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        table.set_marks([t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"][:2])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmMany))
        await pilot.pause()
        assert_on_screen(app, "#confirm-reason", "#confirm-count", "#confirm-error", "#cancel")


@pytest.mark.parametrize("size", SIZES)
async def test_a_one_tenant_confirmation_keeps_its_reason_and_both_buttons_on_screen(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        table.move_cursor_to(next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"))
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        await pilot.pause()
        assert_on_screen(app, "#confirm-reason", "#confirm-error", "#cancel", "#confirm")


@pytest.mark.parametrize("size", SIZES)
async def test_a_one_tenant_confirmation_shows_who_is_left_out_without_scrolling(make_app, size) -> None:
    """Two marked, one ready: the yes/no for the one names the other and why, on screen, at 80x24 too."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        ready = next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over")
        pending = next(t for t in table.visible_ids if table.row(t).cell("next").text == "start sync")
        table.set_marks([ready, pending])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        await pilot.pause()
        assert_on_screen(app, "#confirm-summary", "#confirm-reason", "#confirm", "#cancel")
        assert f"1 eligible, 1 excluded: {pending} pending, must be ready" in "\n".join(screen_lines(app))
