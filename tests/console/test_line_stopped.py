"""A stopped line is loud: while a batch is held or paused, the top of the screen says so in words, at every width."""

from __future__ import annotations

import pytest
from engine_helpers import Harness, inject
from pilot_helpers import screen_lines, until
from rich.style import Style

from cutover.actions.plan.plans import PlanRequest
from cutover.console.app import CutoverApp
from cutover.console.screens.confirm import ConfirmOne
from cutover.console.screens.main import MainScreen
from cutover.console.widgets.line_stopped import LineStopped
from cutover.model.jobs import Control, JobState
from cutover.state.job_records import NewTarget
from cutover.state.jobs import JobStore

pytestmark = pytest.mark.asyncio

SIZES = [(120, 35), (80, 24)]
STEPS = ("final_sync", "verify", "dns", "monitor")


def batch(jobs: JobStore, *tenant_ids: str) -> str:
    job, _ = jobs.submit("batch", [NewTarget(tid, STEPS) for tid in tenant_ids], reason="night 3")
    jobs.claim(job.job_id, "engine-a")
    return job.job_id


def held_and_paused(writer) -> tuple[str, str]:
    """What the engine writes when a batch stops the line, and when an operator pauses another."""
    jobs = JobStore(writer.store, writer.events)
    held = batch(jobs, "T-0001", "T-0002")
    jobs.set_state(held, JobState.HELD, held_reason="T-0083 final sync failed")
    paused = batch(jobs, "T-0003")
    jobs.request(paused, Control.PAUSE, operator="root@jump1", why="customer call")
    jobs.take_controls(paused)
    jobs.set_state(paused, JobState.PAUSED, why="paused by root@jump1")
    return held, paused


@pytest.mark.parametrize("size", SIZES)
async def test_a_held_and_a_paused_batch_are_said_in_words_under_the_header(make_app, writer, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        banner = app.screen.query_one(LineStopped)
        assert not banner.display  # nothing stopped: no banner, the table keeps the line
        held, paused = held_and_paused(writer)
        await app.refresh_now()
        await pilot.pause()
        lines = screen_lines(app)
        shown = "\n".join(lines[:4])
        assert f"LINE STOPPED: {held} held: T-0083 final sync failed" in shown
        assert f"{paused} paused by root@jump1" in shown
        # Reverse and bold: what NO_COLOR and a 16-colour terminal keep.
        row = lines.index(next(li for li in lines if "LINE STOPPED" in li))
        column = lines[row].index("LINE STOPPED")
        cells = [x for x in range(column, column + len("LINE STOPPED")) if lines[row][x] != " "]
        styles = [app.screen.get_style_at(x, row) for x in cells]  # the style of each letter as drawn
        assert styles and all(isinstance(s, Style) and s.reverse and s.bold for s in styles)
        # The header counts them as what they are, not as running.
        assert "2 jobs: 1 held, 1 paused" in lines[0] or size[0] < 120
        # The store is the truth: the line restarts, the banner goes.
        JobStore(writer.store, writer.events).set_state(held, JobState.RUNNING, why="resumed")
        JobStore(writer.store, writer.events).set_state(paused, JobState.RUNNING, why="resumed")
        await app.refresh_now()
        await pilot.pause()
        assert not banner.display
        assert "LINE STOPPED" not in "\n".join(screen_lines(app))


@pytest.mark.slow  # over a second
async def test_the_quit_dialog_counts_a_held_batch_as_held_not_running(tmp_path) -> None:
    """The engine leads here; a rollback in group 1 stops the line; q says the batch is held, and why."""
    h = Harness(tmp_path, ready=10)
    inject(
        h,
        tmp_path,
        """
[[fault]]
kind = "error_spike"
tenants = ["T-0002"]
after_cutover = "2m"
error_rate = 0.2
""",
    )
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)  # this console's engine is the one leading
    app._engine_started = True  # already started, in this event loop, on the driven clock
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            plan = h.ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 11)], count=10, group_size=5))
            job_id = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase).job_id
            await h.until(lambda: h.jobs.get(job_id).state is JobState.HELD, what="the line stopping")
            await app.refresh_now()
            await pilot.pause()
            assert f"LINE STOPPED: {job_id} held: stop the line" in "\n".join(screen_lines(app)[:4])
            await pilot.press("q")
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            detail = app.screen.targets.detail
            assert "This console leads the engine with 1 job: 1 held." in detail
            assert f"LINE STOPPED: {job_id} held: stop the line before group 2" in detail
            assert "running" not in detail.split(".")[0]
            await pilot.press("n")
            assert isinstance(app.screen, MainScreen)
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_p_on_a_batch_the_rules_still_refuse_opens_break_glass_then_resumes_with_the_override(tmp_path) -> None:
    """Past the night's rollback limit a plain resume would be held again at once: p says so and asks why."""
    from cutover.config.settings import SafetySettings, Settings
    from cutover.console.screens.break_glass import BreakGlass

    h = Harness(tmp_path, ready=10, settings=Settings(safety=SafetySettings(max_rollbacks_per_night=1)))
    inject(
        h,
        tmp_path,
        """
[[fault]]
kind = "error_spike"
tenants = ["T-0002"]
after_cutover = "2m"
error_rate = 0.2
""",
    )
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)
    app._engine_started = True
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            plan = h.ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 11)], count=10, group_size=5))
            job_id = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase).job_id
            await h.until(lambda: h.jobs.get(job_id).state is JobState.HELD, what="the line stopping")
            await app.refresh_now()
            await pilot.press("p")
            await until(pilot, lambda: isinstance(app.screen, BreakGlass))
            shown = "\n".join(screen_lines(app))
            assert "max-rollbacks-per-night" in shown and "the limit is 1" in shown
            await pilot.press(*"customer signed off", "enter")
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            assert "Overridden: max-rollbacks-per-night (customer signed off)" in app.screen.targets.detail
            await pilot.press(*"T-0002 looked at", "enter", "tab", "enter")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            await h.until(h.job_done(job_id), what="the batch going on past the rule")
            assert h.jobs.get(job_id).result == "9 migrated, 1 taken over by a rollback"
            overrides = [e for e in h.session.events.find() if e.kind == "break-glass" and e.job_id == job_id]
            assert [(e.detail["rule"], e.why) for e in overrides] == [
                ("max-rollbacks-per-night", "customer signed off")
            ]
    finally:
        await h.stop()
