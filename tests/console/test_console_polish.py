"""What a war-room reader sees at 120x35 and 80x24: nothing that blocks a tenant is cut off or out of reach."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console
from rich.style import Style

from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.screens.main import MainScreen
from cutover.console.widgets.fleet_table import FleetTable
from cutover.console.widgets.scaled_sparkline import ScaledBars

THREE_HOURS = 3 * 3600  # the fixture's 03:00 New York becomes 06:00: outside the 02:00-06:00 window


async def until(pilot, condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the console never got there")
        await pilot.pause(0.01)


def screen_lines(app) -> list[str]:
    """The terminal as the operator sees it now, one string a row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def open_detail(app, pilot, pick) -> TenantDetailScreen:
    await pilot.pause()
    await app.refresh_now()
    await pilot.pause()
    assert isinstance(app.screen, MainScreen)
    table = app.screen.query_one(FleetTable)
    table.move_cursor_to(pick(table))
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, TenantDetailScreen)
    await until(pilot, lambda: "reading" not in str(screen.query_one("#detail-title").render()))
    await pilot.pause()
    return screen


def first_ready(table: FleetTable) -> str:
    return next(tid for tid in table.visible_ids if table.row(tid).lifecycle.value == "ready")


def check_rows(lines: list[str]) -> list[tuple[str, str]]:
    """(check, result) of each gate check on screen, top to bottom."""
    rows = []
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[1] in ("pass", "fail", "unknown"):
            rows.append((words[0], words[1]))
    return rows


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_detail_puts_blocking_checks_first_and_scrolls_to_every_check(make_app, fleet_clock, size) -> None:
    fleet_clock.advance(THREE_HOURS)  # outside the window, every figure three hours old: many blockers
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = await open_detail(app, pilot, first_ready)
        first = screen_lines(app)
        rows = check_rows(first)
        # Blocking checks first: the window, which blocks every tenant now, is on the first screen, failing.
        assert ("window", "fail") in rows, first
        results = [result for _, result in rows]
        assert "pass" not in results[: results.count("fail") + results.count("unknown")], first
        # The evidence wraps in whole words and says when the window opens.
        gates = screen.query_one("#detail-gates").region
        column = [line[gates.x : gates.right] for line in first[gates.y : gates.bottom]]
        words = " ".join(" ".join(column).split())
        assert "outside 02:00-06:00; opens in 20h" in words, column
        # The body has the focus and scrolls by keyboard to the last check and the timeline.
        scroller = screen.query_one("#detail-body")
        assert screen.focused is scroller
        await pilot.press("end")
        await pilot.pause()
        last = screen_lines(app)
        seen = {name for name, _ in check_rows(first) + check_rows(last)}
        assert seen >= {"lifecycle", "sync", "validation", "backends", "metrics", "hydration", "window"}
        assert any("added from fleet.csv" in line for line in last), last
        if size == (80, 24):
            assert scroller.max_scroll_y > 0 and scroller.scroll_y == scroller.max_scroll_y
            await pilot.press("home", "pagedown")
            await pilot.pause()
            assert scroller.scroll_y > 0


def bars(data: list[float], ceiling: float, width: int = 10, height: int = 2) -> list[str]:
    console = Console(width=width, file=io.StringIO(), color_system=None)
    rendered = ScaledBars(data, 0.0, ceiling, height, Style())
    return ["".join(segment.text for segment in line) for line in console.render_lines(rendered, pad=False)]


def test_a_constant_zero_is_flat_and_a_full_share_is_full_height() -> None:
    assert bars([0.0] * 60, 1.0) == [" " * 10, " " * 10]  # 0 % share: nothing drawn, not a wall
    assert bars([1.0] * 60, 1.0) == ["█" * 10, "█" * 10]  # 100 %: the whole box
    assert bars([0.5] * 60, 1.0) == [" " * 10, "█" * 10]  # half-way: one row of two
    # An error rate well under its threshold stays low; a tiny non-zero figure still shows.
    low = bars([0.0025] * 60, 0.01)
    assert low[0] == " " * 10 and set(low[1]) == {"▄"}
    assert bars([0.0, 0.0001], 0.01, width=2) == ["  ", " ▁"]
