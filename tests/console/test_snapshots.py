"""Snapshots of every screen, on the fixture fleet with a frozen clock and a fixed seed.

When one changes, render the SVG to PNG (rsvg-convert) and look at it before
accepting it with --snapshot-update. A traceback or an empty screen is a failure.
"""

from __future__ import annotations

import pytest
from engine_helpers import Harness
from pilot_helpers import shown_text, until
from textual.widgets import Input

from cutover.actions.plan.plans import PlanRequest
from cutover.console.app import CutoverApp
from cutover.console.screens.batch import BatchScreen
from cutover.console.screens.confirm import ConfirmMany, ConfirmOne
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.jobs import JobState


async def _ready(pilot) -> None:
    await pilot.app.refresh_now()
    await pilot.pause()


async def _until_screen(pilot, screen_type, timeout: float = 20.0) -> None:
    await until(
        pilot, lambda: isinstance(pilot.app.screen, screen_type), timeout, what=f"a {screen_type.__name__} on screen"
    )
    await pilot.pause()


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


@pytest.mark.slow  # over a second
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
        await pilot.press(*"night 3, wave 1", "enter", "2")
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # the cursor shown steadily: the snapshot does not depend on timing
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 35), run_before=run_before)


def test_tenant_detail(snap_compare, make_app) -> None:
    async def run_before(pilot) -> None:
        await _ready(pilot)
        await pilot.press("enter")
        screen = pilot.app.screen
        # The detail read and shown: its title, gates and sparklines are filled in at once.
        await until(
            pilot,
            lambda: "reading" not in shown_text(screen.query_one("#detail-title")),
            interval=0.02,
            what="the detail read",
        )

    assert snap_compare(make_app(), terminal_size=(120, 35), run_before=run_before)


def test_tenant_detail_80x24_outside_the_window(snap_compare, make_app, fleet_clock) -> None:
    """Blocking checks first, evidence wrapped in words, the rest a scroll away."""
    fleet_clock.advance(3 * 3600)  # 06:00 in New York: the window is shut and every figure is 3 h old

    async def run_before(pilot) -> None:
        await _ready(pilot)
        table = pilot.app.screen.query_one(FleetTable)
        table.move_cursor_to(next(t for t in table.visible_ids if table.row(t).lifecycle.value == "ready"))
        await pilot.press("enter")
        await until(
            pilot,
            lambda: "reading" not in shown_text(pilot.app.screen.query_one("#detail-title")),
            interval=0.02,
            what="the detail read",
        )
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_batch_view(snap_compare, tmp_path) -> None:
    """A night batch running on the simulated fleet: group 1 under way, group 2's countdown."""
    h = Harness(tmp_path, ready=8)
    app = CutoverApp(h.session)

    async def run_before(pilot) -> None:
        await h.start()
        plan = h.ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 9)]))
        job = h.ops.submit(plan, reason="snapshot", confirmation=plan.confirm_phrase)
        await h.until(lambda: h.jobs.get(job.job_id).state is JobState.RUNNING, limit=600)
        await h.until(lambda: h.jobs.step(job.job_id, None, "group 1").started_at is not None, limit=600)
        h.engine.request_stop()
        await h._task  # the store keeps the batch as it stood; the screen reads it from there
        await _ready(pilot)
        await pilot.press("B")
        await _until_screen(pilot, BatchScreen)
        await until(pilot, lambda: pilot.app.screen.views, interval=0.02, what="the batch's views")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(120, 35), run_before=run_before)
    finally:
        h.store.close()


def test_break_glass(snap_compare, tmp_path) -> None:
    """An enterprise tenant without a second operator's approval: the rules that refuse, a reason asked for."""
    h = Harness(tmp_path, ready=2, enterprise=(1,))
    app = CutoverApp(h.session)

    async def run_before(pilot) -> None:
        from cutover.console.screens.break_glass import BreakGlass

        await _ready(pilot)
        pilot.app.screen.query_one(FleetTable).move_cursor_to("T-0001")
        await pilot.press("c")
        await _until_screen(pilot, BreakGlass)
        await pilot.press("enter")  # no reason yet: the dialog says one is required
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(120, 35), run_before=run_before)
    finally:
        h.store.close()


def _night_app(tmp_path):
    from console_fleet import START, build_night, open_session

    from cutover.model.clock import ManualClock

    clock = ManualClock(start=START)
    path = tmp_path / "night.db"
    build_night(path, clock)
    return CutoverApp(open_session(path, clock))


def _steady(pilot) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # the cursor shown steadily: the snapshot does not depend on timing


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
def test_batch_dialog_of_24_among_400_excluded_keeps_its_fields_on_screen(snap_compare, tmp_path, size) -> None:
    """`b` on tonight's wave: 24 to cut over, 401 left out. The reason, the typed count, the message line and
    Cancel stay in the box; the groups, the tenants and the exclusions scroll in their own area."""
    app = _night_app(tmp_path)

    async def run_before(pilot) -> None:
        await _ready(pilot)
        await pilot.press("b")
        await _until_screen(pilot, ConfirmMany)
        await pilot.press(*"wave 1 tonight", "enter", "2", "enter")  # a wrong count: the message line shows it
        _steady(pilot)
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        app.session.close()


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
def test_two_tenant_confirmation(snap_compare, make_app, size) -> None:
    async def run_before(pilot) -> None:
        await _ready(pilot)
        table = pilot.app.screen.query_one(FleetTable)
        table.set_marks([t for t in table.visible_ids if table.row(t).cell("next").text == "cut over"][:2])
        await pilot.press("c")
        await _until_screen(pilot, ConfirmMany)
        _steady(pilot)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_jobs_screen(snap_compare, tmp_path) -> None:
    """J during a night: a flip done, a batch under way, its steps under the cursor."""
    from cutover.console.screens.jobs import JobsScreen

    h = Harness(tmp_path, ready=8)
    app = CutoverApp(h.session)

    async def run_before(pilot) -> None:
        await h.start()
        flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0008"])), reason="pilot tenant")
        await h.until(h.job_done(flip.job_id), limit=3600)
        plan = h.ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 8)]))
        job = h.ops.submit(plan, reason="snapshot", confirmation=plan.confirm_phrase)
        await h.until(lambda: h.jobs.step(job.job_id, None, "group 1").started_at is not None, limit=600)
        h.engine.request_stop()
        await h._task  # the store keeps the jobs as they stood; the screen reads them from there
        await _ready(pilot)
        await pilot.press("J")
        await _until_screen(pilot, JobsScreen)
        await until(
            pilot,
            lambda: "group 1" in shown_text(pilot.app.screen.query_one("#jobs-detail")),
            interval=0.02,
            what="group 1 in the job's detail",
        )
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(120, 35), run_before=run_before)
    finally:
        h.store.close()


def test_tenant_detail_in_flight(snap_compare, tmp_path) -> None:
    """A tenant in its monitoring window: its job's steps and the way back lead, the gate follows."""
    from cutover.console.screens.detail import TenantDetailScreen

    h = Harness(tmp_path, ready=3)
    app = CutoverApp(h.session)

    async def run_before(pilot) -> None:
        await h.start()
        h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0002"])), reason="pilot tenant")
        await h.until(lambda: h.tenants.get("T-0002").lifecycle.value == "monitoring", limit=3600)
        h.engine.request_stop()
        await h._task
        await _ready(pilot)
        pilot.app.open_detail("T-0002")
        await _until_screen(pilot, TenantDetailScreen)
        await until(
            pilot,
            lambda: "Way back" in shown_text(pilot.app.screen.query_one("#detail-gates")),
            interval=0.02,
            what="the way back in the detail",
        )
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(120, 35), run_before=run_before)
    finally:
        h.store.close()


def test_main_screen_no_color(snap_compare, make_app, monkeypatch) -> None:
    """NO_COLOR: the terminal's own colours; failures reversed, work in progress bold, warnings underlined."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(make_app(), terminal_size=(120, 35), run_before=_ready)


def test_tonight_view(snap_compare, make_app, writer) -> None:
    """T: exactly tonight's batch tenants, the column giving group and expected start."""
    from cutover.actions.plan.operations import Operations

    async def run_before(pilot) -> None:
        await _ready(pilot)
        table = pilot.app.screen.query_one(FleetTable)
        rows = [table.row(t) for t in sorted(table.all_ids)]
        ready = [r.tenant_id for r in rows if r.cell("next").text == "cut over" and r.tier != "enterprise"][:4]
        ops = Operations(writer)
        plan = ops.plan(PlanRequest.batch(ready, count=4, group_size=2))
        ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase)
        await _ready(pilot)
        await pilot.press("T")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(120, 35), run_before=run_before)
