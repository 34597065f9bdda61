"""What a war-room reader sees at 120x35 and 80x24: nothing that blocks a tenant is cut off or out of reach."""

from __future__ import annotations

import io
import re

import pytest
from pilot_helpers import screen_lines, until
from rich.console import Console
from rich.style import Style
from textual.widgets import Input

from cutover.console.screens.confirm import ConfirmOne
from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.screens.help import live_binding_rows
from cutover.console.screens.main import MainScreen
from cutover.console.screens.palette import FleetCommands
from cutover.console.screens.report import ReportScreen
from cutover.console.widgets.fleet_table import FleetTable
from cutover.console.widgets.scaled_sparkline import ScaledBars
from cutover.model.lifecycle import Lifecycle

THREE_HOURS = 3 * 3600  # the fixture's 03:00 New York becomes 06:00: outside the 02:00-06:00 window


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


@pytest.mark.slow  # over a second
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


async def _main_table(app, pilot) -> FleetTable:
    await pilot.pause()
    await app.refresh_now()
    await pilot.pause()
    return app.screen.query_one(FleetTable)


async def _cutover_dialog(app, pilot) -> tuple[FleetTable, ConfirmOne]:
    """The cutover confirmation of the first tenant ready to cut over."""
    table = await _main_table(app, pilot)
    ready = next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over")
    table.move_cursor_to(ready)
    await pilot.press("c")
    await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
    return table, app.screen


@pytest.mark.slow  # over a second
@pytest.mark.asyncio
async def test_a_cutover_asks_why_and_the_reason_goes_in_the_audit_trail(make_app, session) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        _, dialog = await _cutover_dialog(app, pilot)
        assert app.focused.id == "cancel"  # Enter alone never acts
        assert dialog.query_one("#confirm-reason", Input).value == ""
        await pilot.press("tab", "enter")  # the action button, without a reason: refused inline
        assert app.screen is dialog
        assert "give a reason: it goes in the audit trail" in str(dialog.query_one("#confirm-error").render())
        assert app.focused.id == "confirm-reason"
        assert app.operations.jobs.find() == []
        await pilot.press(*"customer asked for tonight", "enter")
        await until(pilot, lambda: app.operations.jobs.find() != [])
        job = app.operations.jobs.find()[0]
        assert job.reason == "customer asked for tonight"
        queued = session.events.find(job_id=job.job_id, kinds=("job.queued",))
        assert [event.why for event in queued] == ["customer asked for tonight"]


@pytest.mark.slow  # over a second
@pytest.mark.asyncio
async def test_typing_a_reason_with_the_focus_on_cancel_fills_the_reason_and_never_closes_the_dialog(
    make_app,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        table, dialog = await _cutover_dialog(app, pilot)
        assert app.focused.id == "cancel"
        # 'n' would be No, and ' ' and 'p' would mark and pause on the fleet behind the dialog.
        await pilot.press(*"no rush, pilot tenant")
        assert app.screen is dialog
        assert dialog.query_one("#confirm-reason", Input).value == "no rush, pilot tenant"
        assert table.marked == set() and app.operations.jobs.find() == []
        # The focus reached the reason by typing: Enter there keeps the reason and acts on nothing.
        await pilot.press("enter")
        assert app.screen is dialog and app.operations.jobs.find() == []
        assert app.focused.id == "cancel"
        await pilot.press("tab", "enter")  # the operator's own choice: the action button
        await until(pilot, lambda: app.operations.jobs.find() != [])
        assert app.operations.jobs.find()[0].reason == "no rush, pilot tenant"


@pytest.mark.slow  # over a second
@pytest.mark.asyncio
async def test_a_rollback_comes_with_its_reason_prefilled_and_it_can_be_overwritten(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await _main_table(app, pilot)
        on_oci = [t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.MONITORING]
        table.move_cursor_to(on_oci[0])
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert app.screen.query_one("#confirm-reason", Input).value == "rollback from the console"
        await pilot.press("tab", "enter")  # one key (r), then Tab and Enter: no typing
        await until(pilot, lambda: len(app.operations.jobs.find()) == 1)
        assert app.operations.jobs.find()[0].reason == "rollback from the console"

        table.move_cursor_to(on_oci[1])
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        reason = app.screen.query_one("#confirm-reason", Input)
        reason.value = ""
        reason.focus()
        await pilot.press(*"5xx on OCI", "enter")
        await until(pilot, lambda: len(app.operations.jobs.find()) == 2)
        assert {job.reason for job in app.operations.jobs.find()} == {"rollback from the console", "5xx on OCI"}


@pytest.mark.asyncio
async def test_a_refused_action_is_titled_refused(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await _main_table(app, pilot)
        pending = next(t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.PENDING)
        table.move_cursor_to(pending)
        await pilot.press("c")
        await until(pilot, lambda: any(n.title == "Refused" for n in app._notifications))
        assert any("pending, must be ready" in n.message for n in app._notifications)


def wave_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if re.match(r"^\s*(wave |w)\d", line)]


@pytest.mark.asyncio
async def test_at_100x30_the_wave_summary_keeps_every_column_and_the_rollback_counter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await _main_table(app, pilot)
        await pilot.pause()
        lines = screen_lines(app)
        waves = app.screen.query_one("#waves").region
        panel = [line[waves.x : waves.right] for line in lines[waves.y : waves.bottom]]
        assert "rollbacks 0/2" in panel[0], panel
        assert panel[1].split() == ["pnd", "syn", "val", "rdy", "cut", "mon", "done", "rb", "fail"], panel
        rows = wave_lines(panel)
        assert [row.split()[0] for row in rows] == ["w1", "w2", "w3", "w4"], panel
        assert all(len(row.split()) == 2 + 9 for row in rows), panel  # wave, % done, nine counts (· for none)


@pytest.mark.asyncio
async def test_at_80x24_w_shows_every_wave_the_header_names_the_stale_source_and_q_quit_stays(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _main_table(app, pilot)
        lines = screen_lines(app)
        assert "oci-lb STALE" in lines[0], lines[0]
        assert "q Quit" in " ".join(lines[-1].split()) or "qQuit" in lines[-1], lines[-1]
        await pilot.press("w")
        await pilot.pause()
        lines = screen_lines(app)
        assert [row.split()[:2] for row in wave_lines(lines)] == [
            ["wave", "1"],
            ["wave", "2"],
            ["wave", "3"],
            ["wave", "4"],
        ]
        assert any("rollbacks 0/2" in line for line in lines)


@pytest.mark.asyncio
async def test_help_lists_quit_once_and_the_palette_shows_keys_as_typed(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await _main_table(app, pilot)
        rows = live_binding_rows(app.screen)
        quits = [row for row in rows if row[1] == "Quit"]
        assert len(quits) == 1 and {"q", "^c", "^q"} <= set(quits[0][0].split(", ")), quits
        marks = next(row for row in rows if row[1] == "Mark")
        assert "move down" in marks[2]
        shown = {name: help_text for name, _, help_text in FleetCommands(app.screen, None)._commands()}
        assert shown["Help"] == "key ?" and shown["Filter"] == "key /" and shown["Clear"] == "key esc", shown
        assert not any("_" in help_text for help_text in shown.values())


@pytest.mark.asyncio
async def test_alerts_wrap_instead_of_being_cut_and_name_the_tenant_once(make_app, writer) -> None:
    writer.events.append(
        "alert", "T-0005: trigger error-rate-immediate fired: 6.2% > 5%", tenant_id="T-0005", why="rule"
    )
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await _main_table(app, pilot)
        await pilot.pause()
        alerts = app.screen.query_one("#alerts").region
        shown = [line[alerts.x : alerts.right] for line in screen_lines(app)[alerts.y : alerts.bottom]]
        text = " ".join(" ".join(shown).replace("│", " ").split())  # the panel's left border out
        assert "source oci-lb is stale: its figures are not current" in text, text
        assert "T-0005: trigger error-rate-immediate fired" in text and "T-0005 T-0005" not in text, text


@pytest.mark.asyncio
async def test_the_gate_report_says_how_to_close_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await _main_table(app, pilot)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        await pilot.pause()
        footer = screen_lines(app)[-1]
        assert "Close" in footer, footer
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_toasts_never_cover_the_key_figures_the_header_or_the_footer(make_app, size) -> None:
    from textual.widgets._toast import Toast

    app = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:  # toasts are off in tests unless asked
        await _main_table(app, pilot)
        for n in range(4):  # a burst, as after a batch's submission and a refusal or two
            app.notify(f"notice {n}: a long enough message to wrap onto a second line of the toast", timeout=30)
        await until(pilot, lambda: len(app.screen.query(Toast)) == 4)
        await pilot.pause()
        figures = app.screen.query_one("#figures").region
        assert figures.height >= 1 and "next:" in " ".join(screen_lines(app)[figures.y : figures.bottom])
        height = size[1]
        for toast in app.screen.query(Toast):
            region = toast.region
            assert not region.overlaps(figures), (region, figures)
            assert region.y >= 1 and region.bottom <= height - 1, region  # not over the header or the footer


@pytest.mark.asyncio
async def test_at_80x24_the_header_takes_a_second_line_rather_than_cut_no_engine_or_the_marks(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _main_table(app, pilot)
        table.set_marks(table.visible_ids[:3])
        app.screen.apply_filter("wave:1")
        await app.refresh_now()
        await pilot.pause()
        header = " ".join(" ".join(screen_lines(app)[:2]).split())
        assert "NO ENGINE LEADS: jobs wait" in header and "3 marked" in header, header
        assert "oci-lb STALE" in header and "…" not in header, header
        assert "TENANT" in screen_lines(app)[2]  # the table starts under it, one row given up
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await _main_table(app, pilot)
        assert app.screen.query_one("#header").size.height == 1  # wide enough: one line, as before
