"""The first screen answers the war room's first question: what is in flight, what is wrong, what is tonight's."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pilot_helpers import screen_lines, until
from textual.widgets import Input

from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import TriggerRule, TriggerSettings
from cutover.config.units import format_clock
from cutover.console.fleet.rows import RowContext, build_row
from cutover.console.screens.confirm import ConfirmOne
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.lifecycle import Lifecycle
from cutover.state.tenants import TenantStore

SIZES = [(120, 35), (80, 24)]


def notified(app, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


@pytest.mark.asyncio
async def _table(app, pilot) -> FleetTable:
    await app.refresh_now()
    await pilot.pause()
    return app.screen.query_one(FleetTable)


def _plan_batch(writer, table: FleetTable):
    rows = [table.row(t) for t in sorted(table.all_ids)]
    ready = [r.tenant_id for r in rows if r.cell("next").text == "cut over" and r.tier != "enterprise"][:4]
    ops = Operations(writer)
    plan = ops.plan(PlanRequest.batch(ready, count=4, group_size=2))
    job = ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase)
    return plan, job


@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES)
async def test_opens_with_in_flight_then_faults_then_tonight_then_the_rest(make_app, writer, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await _table(app, pilot)
        plan, _ = _plan_batch(writer, table)
        await app.refresh_now()
        await pilot.pause()
        order = [table.row(t) for t in table.visible_ids]
        in_flight = [r.tenant_id for r in order if r.in_flight]
        faults = [r.tenant_id for r in order if not r.in_flight and r.fault]
        tonight = [r.tenant_id for r in order if not r.in_flight and not r.fault and r.tonight]
        assert in_flight and faults and tonight
        n, f = len(in_flight), len(faults)
        assert table.visible_ids[:n] == in_flight
        assert table.visible_ids[n : n + f] == faults
        assert table.visible_ids[n + f : n + f + len(tonight)] == tonight
        assert set(tonight) == {t for group in plan.groups for t in group}
        # The order is said in the header's gutter, and `s` still moves to the columns (the arrow with it).
        lines = screen_lines(app)
        assert any(line.lstrip().startswith("!▲") for line in lines)
        await pilot.press("s")
        assert table.sort_column == "id"
        await until(pilot, lambda: any("TENANT▲" in line for line in screen_lines(app)))
        assert notified(app, "sorted by tenant, ascending")


@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES)
async def test_tonight_shows_exactly_the_batch_tenants_with_group_and_time(make_app, writer, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await _table(app, pilot)
        plan, job = _plan_batch(writer, table)
        await app.refresh_now()
        await pilot.press("T")
        await pilot.pause()
        assert set(table.visible_ids) == {t for group in plan.groups for t in group}
        zone = writer.settings.safety.window.zone
        expected = {int(t["group"]): float(t["start"]) for t in job.params["expected"]}
        second = plan.groups[1][0]
        when = format_clock(expected[2], zone)
        assert table.row(second).tonight.startswith(f"g2 ~{when} {job.job_id}")
        text = "\n".join(screen_lines(app))
        # Group and expected start are what a narrow column keeps.
        assert "TONIGHT" in text and f"g2 ~{when[:5]}" in text
        assert notified(app, "tonight: 4 tenants")
        # The same view typed as a filter; T again gives the whole fleet back.
        await pilot.press("T")
        assert len(table.visible_ids) == table.total
        app.screen.apply_filter(f"night:{job.job_id}")
        await pilot.pause()
        assert set(table.visible_ids) == {t for group in plan.groups for t in group}


def _monitoring(session):
    return next(t for t in TenantStore(session.store, session.events).find() if t.lifecycle is Lifecycle.MONITORING)


def test_fault_reasons_use_the_configured_error_rate_rules(session, fleet_clock) -> None:
    now = fleet_clock.now()
    tenant = replace(_monitoring(session), error_rate=0.034, metrics_at=now, backends_healthy=3, backends_total=3)
    ctx = RowContext(now=now, breaching_since={(tenant.tenant_id, "error-rate-sustained"): now - 120})
    assert build_row(tenant, ctx).fault == "error rate 3.4 % > 1 % for 2m"
    assert build_row(tenant, ctx).cell("errors").style == "bad"
    # A stricter configuration brings in what the default would not; a looser one lets 3.4 % pass.
    loose = TriggerSettings(
        rules=(TriggerRule(name="loose", metric="error_rate", op=">", threshold=0.05, action="rollback"),)
    )
    assert build_row(tenant, RowContext(now=now, triggers=loose)).fault == ""
    # AWS-side noise on a tenant the triggers do not judge is no fault.
    for state in (Lifecycle.PENDING, Lifecycle.DECOMMISSIONED, Lifecycle.READY):
        other = replace(tenant, lifecycle=state, dns_oci_share=0.0)
        row = build_row(other, RowContext(now=now))
        assert "error rate" not in row.fault and row.cell("errors").style != "bad", state
    half = replace(tenant, error_rate=0.0, backends_healthy=1)
    assert build_row(half, RowContext(now=now)).fault == "backends 1/3"
    stale = replace(tenant, error_rate=0.0, metrics_at=now - 240)
    assert build_row(stale, RowContext(now=now)).fault == "stale 4m"


@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES)
async def test_faults_only_shows_why_and_keeps_the_cursor_near(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await _table(app, pilot)
        await pilot.press("s", "home")  # by ID, the cursor on T-0001, which has no fault
        assert not table.row("T-0001").fault
        await pilot.press("ctrl+z")
        await pilot.pause()
        shown = table.visible_ids
        assert shown and all(table.row(t).fault for t in shown)
        # The nearest row below where it stood, not the last row.
        assert table.cursor_id == next(t for t in sorted(table.all_ids) if table.row(t).fault)
        assert table.cursor_id != shown[-1] or len(shown) == 1
        text = "\n".join(screen_lines(app))
        assert "FAULT" in text
        assert table.row(shown[0]).fault[:8] in text


@pytest.mark.slow  # over a second
@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES)
async def test_a_tenant_acted_on_stays_under_the_filter_until_the_cursor_leaves(make_app, writer, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await _table(app, pilot)
        app.screen.apply_filter("state:ready")
        await pilot.pause()
        shown = table.visible_ids
        rows = [table.row(t) for t in shown]
        chosen = next(r.tenant_id for r in rows if r.cell("next").text == "cut over" and r.tier != "enterprise")
        table.move_cursor_to(chosen)
        # Cut it over from the console: c, a reason, Tab to the action, Enter.
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        dialog = app.screen
        await pilot.press(*"night 3")
        await until(pilot, lambda: dialog.query_one("#confirm-reason", Input).value == "night 3")
        dialog.query_one("#confirm").focus()  # the operator Tabs to the action
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: app.operations.jobs.find() != [])
        await until(pilot, lambda: app.screen.query("FleetTable"))
        # The engine takes it on: its state is no longer the filter's.
        writer.tenants.transition(chosen, Lifecycle.CUTTING_OVER, why="test: the engine flips it")
        await app.refresh_now()
        await pilot.pause()
        # Still shown (now in flight, at the top of the attention order), the cursor still on it.
        assert chosen in table.visible_ids and table.cursor_id == chosen
        assert table.row(chosen).lifecycle is Lifecycle.CUTTING_OVER
        below = table.visible_ids[table.visible_ids.index(chosen) + 1]
        await pilot.press("down")
        await pilot.pause()
        assert table.cursor_id == below
        assert chosen not in table.visible_ids  # the cursor left it: the filter has its say again


@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES)
async def test_esc_says_how_many_marks_it_cleared_and_u_brings_them_back(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await _table(app, pilot)
        await pilot.press("space", "space", "space")
        marked = table.marked
        assert len(marked) == 3
        await pilot.press("escape")
        assert table.marked == frozenset()
        assert notified(app, "3 marks cleared: u brings them back")
        await pilot.press("u")
        assert table.marked == marked
        assert notified(app, "3 marks restored")
        await pilot.press("S")
        assert notified(app, "descending")


@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES)
async def test_help_groups_the_keys_by_purpose_and_says_what_each_acts_on(make_app, size) -> None:
    from cutover.console.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await _table(app, pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = app.screen.rows
        headings = [name for key, name, note in rows if not key and note == "group"]
        assert headings[:4] == ["navigate", "select", "act", "views"]
        by_name = {name: (key, line) for key, name, line in rows}
        assert by_name["Cut over"] == ("c", "cut over the marked tenants, or the one under the cursor")
        assert by_name["Tonight"][0] == "T" and "tonight's batch" in by_name["Tonight"][1]
        group_of = {}
        current = ""
        for key, name, note in rows:
            if not key and note == "group":
                current = name
            else:
                group_of[name] = current
        assert group_of["Roll back"] == "act" and group_of["Mark"] == "select" and group_of["Jobs"] == "views"
        assert "NAVIGATE" in "\n".join(screen_lines(app))


@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES)
async def test_the_sort_arrow_shows_at_once_even_on_a_one_character_column(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await _table(app, pilot)
        await pilot.press("s", "s")  # by wave: its column is one character wide
        assert table.sort_column == "wave"
        await pilot.pause()
        header = next(line for line in screen_lines(app) if "TENANT" in line and "STATE" in line)
        assert "TENANT " in header and " ▲ " in header, header
        await pilot.press("S")
        await pilot.pause()
        header = next(line for line in screen_lines(app) if "TENANT" in line and "STATE" in line)
        assert " ▼ " in header, header
        assert notified(app, "sorted by wave, descending")


@pytest.mark.asyncio
async def test_the_cursor_stays_on_the_top_until_the_operator_touches_a_key(make_app, writer) -> None:
    """The first polls move tenants in and out of flight: the console opened on the top of the attention
    order keeps the cursor there (not on a tenant that left it) until a key is pressed; after that, never."""
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        table = await _table(app, pilot)
        top = table.cursor_id
        assert top is not None and top == table.top_id
        assert table.row(top).in_flight

        writer.tenants.transition(top, Lifecycle.MIGRATED, why="its monitoring ended")
        await app.refresh_now()
        await pilot.pause()
        assert table.top_id != top  # it left the top
        assert table.cursor_id == table.top_id  # the cursor went with the top, not with it
        assert table.row(table.cursor_id).in_flight

        second = table.cursor_id
        await pilot.press("j", "k")  # the operator's now, back on the top
        assert table.cursor_id == second
        writer.tenants.transition(second, Lifecycle.MIGRATED, why="its monitoring ended")
        await app.refresh_now()
        await pilot.pause()
        assert table.top_id != second
        assert table.cursor_id == second  # never moved by itself after a key
