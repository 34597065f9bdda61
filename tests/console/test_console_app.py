"""The console driven by its keys, on the fixture fleet in a real store, with a frozen clock."""

from __future__ import annotations

import io

import pytest
from pilot_helpers import until
from rich.console import Console
from textual.command import CommandPalette

from cutover.actions.plan.plans import PlanRequest, ReadOnly
from cutover.console.fleet.filters import FleetFilter
from cutover.console.screens.break_glass import BreakGlass
from cutover.console.screens.confirm import ConfirmMany, ConfirmOne
from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.screens.help import HelpScreen
from cutover.console.screens.main import MainScreen
from cutover.console.screens.palette import FleetCommands
from cutover.console.screens.report import ReportScreen
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.jobs import JobKind
from cutover.model.lifecycle import Lifecycle

pytestmark = pytest.mark.asyncio

SIZE = (120, 35)


async def started(app, pilot):
    await app.refresh_now()
    await pilot.pause()
    assert isinstance(app.screen, MainScreen)
    return app.screen.query_one(FleetTable)


def notified(app, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


def header_text(app) -> str:
    return str(app.screen.query_one("#header").render())


async def test_table_shows_every_tenant_with_the_cursor_on_the_first(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        assert table.total == 40
        # The first screen leads with what needs eyes: tenants in flight, then faults, then the rest.
        first = table.row(table.visible_ids[0])
        assert first.in_flight and table.cursor_id == first.tenant_id
        ranks = [table.row(tid).attention for tid in table.visible_ids]
        assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == 3
        await pilot.press("s")  # then by ID
        assert table.visible_ids[:3] == ["T-0001", "T-0002", "T-0003"]
        await pilot.press("home")
        assert table.cursor_id == "T-0001"
        await pilot.press("down", "down")
        assert table.cursor_id == "T-0003"
        await pilot.press("end")
        assert table.cursor_id == "T-0040"
        await pilot.press("home")
        assert table.cursor_id == "T-0001"


@pytest.mark.slow  # over a second
async def test_marks_stay_on_their_tenants_through_sort_and_filter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        await pilot.press("s", "home")  # by ID
        await pilot.press("space", "space", "down", "space")
        assert table.marked == {"T-0001", "T-0002", "T-0004"}
        assert table.cursor_id == "T-0005"
        assert "3 marked" in header_text(app)
        await pilot.press("s", "s", "s")  # sort by state
        assert table.sort_column == "state"
        assert table.cursor_id == "T-0005"
        assert table.marked == {"T-0001", "T-0002", "T-0004"}
        await pilot.press("slash", *"state:ready", "enter")
        assert all(table.row(tid).lifecycle is Lifecycle.READY for tid in table.visible_ids)
        assert table.marked == {"T-0001", "T-0002", "T-0004"}
        assert "filter: state:ready" in header_text(app)
        await pilot.press("escape")  # first esc clears the filter
        assert not table.fleet_filter.active
        assert table.marked == {"T-0001", "T-0002", "T-0004"}
        await pilot.press("escape")  # the next one clears the marks
        assert table.marked == frozenset()


async def test_a_bad_filter_is_refused_and_changes_nothing(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        await pilot.press("slash", *"wave:x", "enter")
        await pilot.pause()
        assert table.fleet_filter == FleetFilter()
        assert any("wave:x is not a wave number" in n.message for n in app._notifications)


async def test_faults_only(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        await pilot.press("ctrl+z")
        shown = [table.row(tid) for tid in table.visible_ids]
        assert shown and all(row.fault for row in shown)
        assert any(row.lifecycle is Lifecycle.FAILED for row in shown)
        await pilot.press("ctrl+z")
        assert table.total == len(table.visible_ids) == 40


@pytest.mark.slow  # over a second
async def test_refresh_keeps_the_cursor_on_its_tenant_when_rows_move(make_app, writer) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        for _ in range(8):  # sort by error rate against baseline
            await pilot.press("s")
        assert table.sort_column == "errors"
        await pilot.press("down", "down", "down")
        chosen = table.cursor_id
        # The engine records a much higher error rate: the tenant moves to the bottom of the sort.
        writer.tenants.observe(chosen, error_rate=0.009)
        await app.refresh_now()
        await pilot.pause()
        assert table.cursor_id == chosen
        assert table.visible_ids[-1] == chosen
        # Scrolled along: the tenant is still on screen, under the cursor.
        top = round(table.scroll_offset.y)
        assert top <= table.visible_ids.index(chosen) < top + table.size.height - 1


async def test_cutover_of_one_tenant_asks_yes_no_with_cancel_focused(make_app, session) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        ready = next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over")
        table.move_cursor_to(ready)
        before = session.events.last_seq()
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert app.screen.targets.eligible == (ready,)
        assert app.focused.id == "cancel"
        await pilot.press("enter")  # Enter on the focused Cancel: nothing happens
        assert isinstance(app.screen, MainScreen)
        assert session.events.last_seq() == before
        assert any("cancelled, nothing done" in n.message for n in app._notifications)


@pytest.mark.slow  # over a second
async def test_cutover_of_many_lists_the_frozen_set_and_wants_the_count(make_app, writer) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        ready = [t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"][:3]
        pending = next(t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.PENDING)
        table.set_marks([*ready, pending])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmMany))
        dialog = app.screen
        assert dialog.targets.eligible == tuple(sorted(ready))
        assert dialog.targets.excluded == ((pending, "pending, must be ready"),)
        assert dialog.targets.summary() == f"3 eligible, 1 excluded: {pending} pending, must be ready"
        # Live data keeps updating behind the dialog; the target set does not change.
        writer.tenants.observe(ready[0], error_rate=0.02)
        await app.refresh_now()
        await pilot.pause()
        assert table.row(ready[0]).cell("errors").text.startswith("2.00%")
        assert dialog.targets.eligible == tuple(sorted(ready))
        await pilot.press(*"night 3", "enter", "2", "enter")
        assert app.screen is dialog
        assert "2 is not 3" in str(dialog.query_one("#confirm-error").render())
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert table.marked == {*ready, pending}


async def test_a_safety_rule_refuses_the_whole_action_with_its_numbers(make_app, session) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        ready = [t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"][:4]
        table.set_marks(ready)
        before = session.events.last_seq()
        await pilot.press("c")
        # Two tenants are cutting over already; four more would break the limit of five: only break-glass
        # goes past it, and the dialog names the rule with its numbers.
        await until(pilot, lambda: isinstance(app.screen, BreakGlass))
        assert [refusal.rule for refusal in app.screen.refusals] == ["max-cutting-over"]
        assert "6 tenants would be cutting over at once" in app.screen.refusals[0].message
        await pilot.press("escape")
        await until(pilot, lambda: notified(app, "not overridden, nothing done"))
        assert isinstance(app.screen, MainScreen)
        assert session.events.last_seq() == before


@pytest.mark.slow  # over a second
async def test_confirmed_cutover_submits_one_job_for_the_frozen_set(make_app, writer) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        ready = [t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"][:2]
        pending = next(t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.PENDING)
        table.set_marks([*ready, pending])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmMany))
        await pilot.press(*"night 3 wave 1", "enter", "2", "enter")
        await until(pilot, lambda: notified(app, "submitted"))
        jobs = app.operations.jobs.find()
        assert len(jobs) == 1
        assert jobs[0].kind == JobKind.FLIP
        assert jobs[0].targets == tuple(sorted(ready))
        assert jobs[0].reason == "night 3 wave 1"
        await until(pilot, lambda: table.row(ready[0]).cell("lock").text == "alice")


async def test_rollback_of_nothing_eligible_says_why(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        pending = next(t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.PENDING)
        table.move_cursor_to(pending)
        await pilot.press("r")
        await until(pilot, lambda: notified(app, f"{pending} pending: nothing to roll back"))
        assert isinstance(app.screen, MainScreen)


async def test_read_only_hides_and_refuses_every_action(make_app) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        ready = next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over")
        table.move_cursor_to(ready)
        actions = {active.binding.action for active in app.active_bindings.values()}
        assert not actions & {"cutover", "rollback", "ramp", "plan_batch", "pause_batch", "dry_run"}
        ids = {active.binding.id for active in app.active_bindings.values()}
        assert not ids & {"sync", "sync_final", "sync_verify", "validate", "approve", "rollback_all"}
        await pilot.press("y", "o", "X")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("c", "r", "b")
        assert isinstance(app.screen, MainScreen)
        # The gate changes nothing: an observer may look at it.
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert "observer" in header_text(app)
        app.act(JobKind.FLIP)  # as if reached some other way (the palette): the app refuses too
        await until(pilot, lambda: notified(app, "read-only console: cut over refused"))
        with pytest.raises(ReadOnly):
            app.operations.submit(app.operations.plan(PlanRequest.flip([ready])), reason="test")


async def test_help_is_built_from_the_live_bindings_including_remaps(make_app) -> None:
    app = make_app(keymap={"cutover": "C"})
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        table.move_cursor_to(next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        rows = {description: key for key, description, _ in app.screen.rows}
        assert rows["Cut over"] == "C"
        assert rows["Roll back"] == "r"
        assert "Mark" in rows
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("c")  # no longer bound
        assert isinstance(app.screen, MainScreen)
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))


async def test_detail_shows_gate_evidence_sparklines_and_timeline(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        table.move_cursor_to("T-0001")
        await pilot.press("enter")
        assert isinstance(app.screen, TenantDetailScreen)
        app.screen.refresh_now()
        for _ in range(50):
            await pilot.pause(0.02)
            if (
                "T-0001" in str(app.screen.query_one("#detail-title").render())
                and app.screen.query_one("#spark-share").data
            ):
                break
        assert len(app.screen.query_one("#spark-share").data) == 60
        events_text = str(app.screen.query_one("#detail-events").render())
        assert events_text  # the import event at least
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_stale_source_is_shown_stale_and_alerted(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        header = header_text(app)
        assert "oci-lb STALE" in header
        assert "route53 10s" in header
        alerts = app.screen.query_one("#alerts")
        assert any("oci-lb is stale" in line.text for line in alerts.lines)


async def test_at_80x24_the_table_and_key_figures_stay_and_panels_wait_behind_keys(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await started(app, pilot)
        screen = app.screen
        assert screen.has_class("-short")
        assert not screen.query_one("#top").display or not screen.query_one("#top").region.height
        assert table.region.height >= 15
        assert screen.query_one("#figures").region.height == 2
        await pilot.press("a")
        await pilot.pause()
        assert screen.query_one("#alerts").region.height > 0
        await pilot.press("a")
        await pilot.pause()
        assert screen.query_one("#alerts").region.height == 0


async def test_quit(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await pilot.press("q")
    assert app.return_code == 0


async def test_gate_shows_each_check_with_its_evidence(make_app, session) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        lagging = next(t for t in table.visible_ids if table.row(t).cell("next").text.startswith("fix: 1 backend"))
        table.move_cursor_to(lagging)
        before = session.events.last_seq()
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        assert app.screen.title_text.startswith("Decision gate: 0 of 1 eligible")
        out = Console(width=120, file=io.StringIO(), color_system=None)
        out.print(app.screen.body)
        text = out.file.getvalue()
        assert "blocked" in text and "backends: 2/3" in text
        assert session.events.last_seq() == before  # the gate changes nothing
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_dry_run_shows_the_dns_change_and_changes_nothing_else(make_app, session) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        ready = next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over")
        table.move_cursor_to(ready)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        out = Console(width=120, file=io.StringIO(), color_system=None)
        out.print(app.screen.body)
        text = out.file.getvalue()
        assert "nothing was changed" in text and ready in text and "->" in text
        assert session.tenants.get(ready).lifecycle is Lifecycle.READY
        assert [e.kind for e in session.events.find(tenant_id=ready, limit=1)] == ["rehearsal"]


async def test_ramp_asks_like_a_cutover(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        ready = next(t for t in table.visible_ids if table.row(t).cell("next").text == "cut over")
        table.move_cursor_to(ready)
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert app.screen.targets.action == "ramp"
        await pilot.press("escape")
        await until(pilot, lambda: notified(app, "ramp: cancelled, nothing done"))
        assert app.operations.jobs.find() == []


async def test_reverse_sort_keeps_the_cursor_tenant(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        await pilot.press("s", "home")  # by ID
        await pilot.press("down", "down")
        await pilot.press("S")
        assert table.sort_reverse and table.visible_ids[0] == "T-0040"
        assert table.cursor_id == "T-0003"


async def test_command_palette_lists_the_console_actions(make_app) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        names = [name for name, _, _ in FleetCommands(app.screen, None)._commands()]
        assert "Help" in names and "Sort by STATE" in names and "Filter: state ready" in names
        assert "Cut over" not in names  # read-only: no action, not even from the palette
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))


async def test_figures_turn_stale_on_screen_as_time_passes_without_new_data(make_app, fleet_clock) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        table = await started(app, pilot)
        monitoring = next(t for t in table.visible_ids if table.row(t).lifecycle is Lifecycle.MONITORING)
        assert not table.row(monitoring).cell("errors").text.strip().endswith("?")
        countdown = table.row(monitoring).cell("next").text
        fleet_clock.advance(600)  # nothing new is written: the figures only grow old
        await app.refresh_now()
        await pilot.pause()
        assert table.row(monitoring).cell("errors").text.strip().endswith("?")
        assert table.row(monitoring).cell("errors").style == "stale"
        assert table.row(monitoring).cell("next").text != countdown
