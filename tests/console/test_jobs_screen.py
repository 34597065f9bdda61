"""`J`: every job of the night with its steps; the job under the cursor is paused, resumed, aborted or skipped
from there, through the same confirmation, reason and refusals as the CLI."""

from __future__ import annotations

import pytest
from engine_helpers import Harness, inject
from pilot_helpers import screen_lines, until

from cutover.actions.plan.plans import PlanRequest
from cutover.console.app import CutoverApp
from cutover.console.screens.confirm import ConfirmOne
from cutover.console.screens.jobs import JobsScreen
from cutover.model.jobs import JobState

pytestmark = pytest.mark.asyncio

SPIKE = """
[[fault]]
kind = "error_spike"
tenants = ["T-0002"]
after_cutover = "2m"
error_rate = 0.2
"""


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_jobs_screen_lists_every_job_and_acts_on_the_one_under_the_cursor(tmp_path, size) -> None:
    h = Harness(tmp_path, ready=12)
    inject(h, tmp_path, SPIKE)
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)
    app._engine_started = True
    try:
        async with app.run_test(size=size) as pilot:
            flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0011"])), reason="pilot tenant")
            plan = h.ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 11)], count=10, group_size=5))
            batch = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase).job_id
            await h.until(lambda: h.jobs.get(batch).state is JobState.HELD, what="the line stopping")
            await h.until(h.job_done(flip.job_id), what="the flip")
            await app.refresh_now()
            await pilot.press("J")
            await until(pilot, lambda: isinstance(app.screen, JobsScreen) and len(app.screen.jobs) >= 3)
            shown = "\n".join(screen_lines(app))
            assert "active (1 held or paused)" in shown
            assert f"{batch}" in shown and "held" in shown and f"{flip.job_id}" in shown and "succeeded" in shown
            assert "rollback-" in shown  # the trigger's rollback is a job of the night too
            # Newest first: the rollback, then the batch; the cursor moves as in any list.
            assert [j.job_id for j in app.screen.jobs][:2] == ["rollback-3", batch]
            await pilot.press("down")
            await until(pilot, lambda: "stop the line before group 2" in "\n".join(screen_lines(app)))
            assert "group 1" in "\n".join(screen_lines(app))  # its steps, the group first

            for key, refusal in (("k", "only a ramp has stages to skip"), ("b", "only a ramp has stages to step back")):
                await pilot.press(key)  # a batch has no stages: said at once, no dialog asking a reason first
                await until(pilot, lambda refusal=refusal: any(refusal in n.message for n in app._notifications))
                assert isinstance(app.screen, JobsScreen)
            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            assert app.screen.targets.action == "abort" and app.screen.targets.eligible == (batch,)
            await pilot.press(*"T-0002 rolled back, stop for tonight", "enter", "tab", "enter")
            await until(pilot, lambda: isinstance(app.screen, JobsScreen))
            await h.until(h.job_done(batch), what="the batch aborting")
            assert h.jobs.get(batch).state is JobState.ABORTED
            aborts = [e for e in h.session.events.find() if e.kind == "job.control" and e.job_id == batch]
            assert aborts and aborts[-1].why == "T-0002 rolled back, stop for tonight"
    finally:
        await h.stop()


async def test_the_jobs_screen_says_when_there_are_no_jobs(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.refresh_now()
        await pilot.press("J")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen))
        await until(pilot, lambda: "no jobs yet" in "\n".join(screen_lines(app)))
        await pilot.press("x")
        assert isinstance(app.screen, JobsScreen)  # nothing selected: nothing opens
        await pilot.press("escape")
        assert not isinstance(app.screen, JobsScreen)


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_palette_jumps_to_a_tenant_by_id_even_one_the_filter_hides(make_app, size) -> None:
    from cutover.console.screens.main import MainScreen
    from cutover.console.widgets.fleet_table import FleetTable

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        target = table.all_ids[-1]
        app.screen.apply_filter("state:migrated")
        await pilot.pause()
        hidden = target not in table.visible_ids
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*target.lower())
        await until(pilot, lambda: f"Go to {target}" in "\n".join(screen_lines(app)))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen) and table.cursor_id == target)
        if hidden:
            assert target in table.visible_ids  # the filter that hid it was cleared


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_tenant_detail_acts_on_its_own_tenant_whatever_is_marked(make_app, size) -> None:
    from cutover.console.screens.detail import TenantDetailScreen
    from cutover.console.screens.help import HelpScreen
    from cutover.console.screens.report import ReportScreen
    from cutover.console.widgets.fleet_table import FleetTable

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        migrated = [t for t in table.visible_ids if table.row(t).lifecycle == "migrated"]
        ready = [t for t in table.visible_ids if table.row(t).lifecycle == "ready"]
        table.set_marks(ready[:2])  # marks elsewhere must not be what the detail acts on
        table.move_cursor_to(migrated[0])
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen))
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert app.screen.targets.action == "roll back" and app.screen.targets.eligible == (migrated[0],)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen))
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, ReportScreen))
        assert app.screen.title_text.startswith("Decision gate: 0 of 1 eligible")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen))
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = "\n".join(screen_lines(app))
        assert "Roll back" in shown and "Cut over" in shown and "Gate" in shown


@pytest.mark.parametrize("text", ["T-0008,T-0003", "id:t-0008,t-0003", "id:T-0008,T-0003 wave:1,2,3,4"])
async def test_several_ids_filter_at_once_and_words_stay_anded(make_app, text) -> None:
    from cutover.console.widgets.fleet_table import FleetTable

    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        assert app.screen.apply_filter(text)
        await pilot.pause()
        assert sorted(table.visible_ids) == ["T-0003", "T-0008"]
        assert app.screen.apply_filter("T-0008,T-0003 state:pending")  # AND-ed with the other keys
        await pilot.pause()
        assert all(table.row(t).lifecycle == "pending" for t in table.visible_ids)
        assert set(table.visible_ids) <= {"T-0003", "T-0008"}


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_detail_of_a_tenant_in_flight_leads_with_its_job_and_the_way_back(tmp_path, size) -> None:
    from cutover.console.screens.detail import TenantDetailScreen

    h = Harness(tmp_path, ready=3)
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)
    app._engine_started = True
    try:
        async with app.run_test(size=size) as pilot:
            flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0002"])), reason="pilot tenant")
            await h.until(lambda: h.tenants.get("T-0002").lifecycle.value == "monitoring", what="monitoring")
            await app.refresh_now()
            app.open_detail("T-0002")
            await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen))
            await until(pilot, lambda: f"{flip.job_id} running" in "\n".join(screen_lines(app)))
            shown = "\n".join(screen_lines(app))
            assert (
                "✓ final sync" in shown and "✓ dns change" in shown and "\\x0a" not in shown and "▶ monitoring" in shown
            )
            assert "left" in shown  # the minutes of monitoring left
            words = " ".join(shown.split())  # wrapped lines read as one text
            assert "Way back: r rolls T-0002 back to AWS" in words and "rollbacks tonight: 0 of 2" in words
            assert "BLOCKED" not in shown  # never a cutover gate's verdict in its place
            lines = screen_lines(app)
            job_line = next(i for i, line in enumerate(lines) if f"{flip.job_id} running" in line)
            gate_line = next(i for i, line in enumerate(lines) if "Gate (for a next cutover)" in line)
            assert job_line < gate_line
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_b_steps_the_ramp_under_the_cursor_back_a_stage_or_says_why_it_cannot(tmp_path, size) -> None:
    from cutover.config.settings import Settings, TriggerSettings
    from cutover.model.jobs import StepState

    h = Harness(tmp_path, ready=3, settings=Settings(triggers=TriggerSettings(min_requests=10)))
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)
    app._engine_started = True

    def holding(name: str) -> bool:
        step = h.jobs.step(ramp.job_id, "T-0001", name)
        return step.state is StepState.RUNNING and step.detail.get("held_s", 0) > 60

    try:
        async with app.run_test(size=size) as pilot:
            ramp = h.ops.submit(h.ops.plan(PlanRequest.ramp(["T-0001"], stages=(10, 50, 100), hold=600)), reason="r")
            await h.until(lambda: holding("hold 10 %"), what="a minute at 10 %")
            await app.refresh_now()
            await pilot.press("J")
            await until(pilot, lambda: isinstance(app.screen, JobsScreen) and len(app.screen.jobs) >= 1)
            await pilot.press("b")
            await until(pilot, lambda: any(n.title == "Cannot step back" for n in app._notifications))
            (refusal,) = [n.message for n in app._notifications if n.title == "Cannot step back"]
            assert "T-0001 is at its first stage (10 %): below it is AWS alone, a rollback (r)" in refusal
            assert isinstance(app.screen, JobsScreen)  # refused before any dialog: nothing to confirm

            await h.until(lambda: holding("hold 50 %"), what="a minute at 50 %")
            await pilot.press("b")
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            assert app.screen.targets.action == "step back" and app.screen.targets.eligible == (ramp.job_id,)
            assert app.screen.targets.detail.startswith("T-0001: 50 % -> 10 % on OCI. The ramp goes back")
            await pilot.press(*"latency at 50 %", "enter", "tab", "enter")
            await until(pilot, lambda: isinstance(app.screen, JobsScreen))
            await h.until(lambda: h.jobs.get(ramp.job_id).state is JobState.PAUSED, what="paused at 10 %")
            assert h.tenants.get("T-0001").dns_oci_share == pytest.approx(0.10)
            await until(pilot, lambda: "back 10 % #2" in "\n".join(screen_lines(app)))
    finally:
        await h.stop()
