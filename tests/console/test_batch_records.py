"""A tenant rolled back after its batch group ended is on record as rolled back: the batch view and `cutover jobs`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from engine_helpers import Harness
from pilot_helpers import screen_lines, until

from cutover.actions.plan.plans import PlanRequest
from cutover.console.app import CutoverApp
from cutover.console.cli import cli
from cutover.console.screens.batch import BatchScreen
from cutover.model.jobs import StepState

pytestmark = pytest.mark.asyncio


async def a_night_with_a_late_rollback(h: Harness) -> tuple[str, str]:
    """Two groups of five; once group 1 has ended and group 2 has started, T-0002 is rolled back by hand."""
    plan = h.ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 11)], count=10, group_size=5))
    batch = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase).job_id
    await h.until(
        lambda: (
            h.jobs.step(batch, None, "group 1").state is StepState.DONE
            and h.jobs.step(batch, None, "group 2").started_at is not None
        ),
        what="group 1 ending and group 2 starting",
    )
    assert h.jobs.step(batch, None, "group 1").result == "5 migrated"
    rollback = h.ops.plan(PlanRequest.rollback(["T-0002"]))
    rolled = h.ops.submit(rollback, reason="customer reports errors", confirmation=rollback.confirm_phrase).job_id
    await h.until(h.job_done(rolled), what="the rollback")
    return batch, rolled


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_batch_view_says_rolled_back_later_and_why_the_line_went_on(tmp_path, size) -> None:
    h = Harness(tmp_path, ready=10)
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)
    app._engine_started = True
    try:
        async with app.run_test(size=size) as pilot:
            _batch, rolled = await a_night_with_a_late_rollback(h)
            await app.refresh_now()
            await pilot.press("B")
            await until(pilot, lambda: isinstance(app.screen, BatchScreen) and app.screen.views)
            await pilot.pause()
            shown = "\n".join(screen_lines(app))
            assert "4 migrated, 1 rolled back later" in shown
            assert rolled in shown
            assert "5 migrated" not in shown
            flat = " ".join(line.strip() for line in screen_lines(app))
            assert f"T-0002 rolled back later by {rolled}" in flat
            assert "it came after group 2 had started: the line was not stopped" in flat
    finally:
        await h.stop()


async def test_cutover_jobs_says_rolled_back_later_never_5_migrated(tmp_path) -> None:
    h = Harness(tmp_path, ready=10)
    await h.start()
    try:
        batch, rolled = await a_night_with_a_late_rollback(h)
    finally:
        await h.stop()
    shown = CliRunner().invoke(cli, ["jobs", batch], env={"CUTOVER_STATE__PATH": str(h.path)}, catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert f"  group 1: 4 migrated, 1 rolled back later ({rolled})" in shown.output
    assert "group 1: done 5 migrated" not in shown.output
    assert f"group 1: T-0002 rolled back later by {rolled} at" in shown.output
    assert "it came after group 2 had started: the line was not stopped" in shown.output
