"""The console on the simulated fleet with the engine leading, on a driven clock: the war-room night.

Mark three tenants, cut them over, watch the traffic move in the table, roll one
back: every step through the keys, the confirmation dialogs and the real engine.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from engine_helpers import Harness
from pilot_helpers import until
from rich.console import Console

from cutover.console.app import CutoverApp
from cutover.console.screens.batch import BatchScreen, batch_renderable
from cutover.console.screens.confirm import ConfirmMany, ConfirmOne
from cutover.console.screens.main import MainScreen
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle

pytestmark = pytest.mark.asyncio


def notified(app, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


@pytest.mark.slow  # over a second
async def test_mark_three_cut_over_watch_the_traffic_and_roll_one_back(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=6)
    await h.start()
    app = CutoverApp(h.session)  # the harness's engine leads, in this event loop, on the driven clock
    app.operations.on_submit = h.engine.wake  # as the console's own engine would be woken
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await app.refresh_now()
            table = app.screen.query_one(FleetTable)
            assert "engine: alice@jump-1" in str(app.screen.query_one("#header").render())
            table.move_cursor_to("T-0001")
            await pilot.press("space", "space", "space")
            assert table.marked == {"T-0001", "T-0002", "T-0003"}
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, ConfirmMany))
            assert app.screen.targets.eligible == ("T-0001", "T-0002", "T-0003")
            await pilot.press(*"night 3", "enter", "3", "enter")  # why (for the audit trail), then the count
            await until(pilot, lambda: notified(app, "submitted"))
            assert table.marked == frozenset()  # the job holds them now
            chosen = ("T-0001", "T-0002", "T-0003")

            # DNS flips first; the traffic follows as resolvers' caches expire.
            await h.until(lambda: all(h.tenants.get(t).dns_oci_share == 1.0 for t in chosen), limit=3600)
            await app.refresh_now()
            moving = table.row("T-0001").cell("traffic").text
            assert moving.startswith("100/")
            await h.until(lambda: all((h.tenants.get(t).observed_oci_share or 0) >= 0.99 for t in chosen), limit=3600)
            await app.refresh_now()
            moved = table.row("T-0001").cell("traffic").text
            assert moved.strip().startswith("100/") and moved != moving
            assert table.row("T-0001").lifecycle in (Lifecycle.CUTTING_OVER, Lifecycle.MONITORING)

            # Roll one back: a single tenant, so yes/no with Cancel focused; Tab to the action.
            table.move_cursor_to("T-0002")
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            assert app.focused.id == "cancel"
            await pilot.press("tab", "enter")
            await until(pilot, lambda: notified(app, "submitted: a rollback of 1 tenant;"))
            await h.until(lambda: h.tenants.get("T-0002").lifecycle is Lifecycle.ROLLED_BACK, limit=3600)
            await app.refresh_now()
            assert table.row("T-0002").lifecycle is Lifecycle.ROLLED_BACK
            assert table.row("T-0002").cell("traffic").text.startswith("  0/")
            # The flip lost T-0002 to the rollback: its steps no longer speak for it.
            assert not table.row("T-0002").cell("next").text.startswith("flip-")
            assert table.row("T-0001").lifecycle is not Lifecycle.ROLLED_BACK
            await pilot.press("q")
        assert app.return_code == 0
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_plan_a_batch_see_its_groups_and_pause_it(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=8)
    await h.start()
    app = CutoverApp(h.session)
    app.operations.on_submit = h.engine.wake
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await app.refresh_now()
            table = app.screen.query_one(FleetTable)
            table.move_cursor_to("T-0001")
            await pilot.press("b")  # no marks: the wave under the cursor
            await until(pilot, lambda: isinstance(app.screen, ConfirmMany))
            dialog = app.screen
            assert len(dialog.targets.eligible) == 8
            assert "group 1 at" in dialog.targets.detail and "group 2 at" in dialog.targets.detail
            await pilot.press(*"wave 1", "enter", "8", "enter")
            await until(pilot, lambda: notified(app, "submitted"))
            job = h.jobs.find()[0]
            await h.until(lambda: h.jobs.get(job.job_id).state is JobState.RUNNING, limit=600)
            await pilot.press("B")
            await until(pilot, lambda: isinstance(app.screen, BatchScreen) and app.screen.views)
            out = Console(width=120, file=io.StringIO(), color_system=None)
            for view in app.screen.views:
                out.print(batch_renderable(view, h.clock.now()))
            text = out.file.getvalue()
            assert job.job_id in text and "next in" in text
            await pilot.press("p")  # a pause comes with its reason prefilled: Tab, Enter
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            await pilot.press("tab", "enter")
            await until(pilot, lambda: notified(app, "paused"))
            await h.until(lambda: h.jobs.get(job.job_id).state is JobState.PAUSED, limit=600)
            # Paused: the next group says so; no countdown runs toward a start that will not come.
            out = Console(width=120, file=io.StringIO(), color_system=None)
            out.print(batch_renderable(h.ops.read.job(job.job_id), h.clock.now()))
            text = out.file.getvalue()
            assert "paused" in text and "next in" not in text
            await pilot.press("p")  # paused: p resumes, after a yes/no and a reason
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            assert "8 tenants. Once resumed, the next group starts when it is due" in app.screen.targets.detail
            await pilot.press("tab", "enter")  # no reason yet: the field says so and takes the focus
            assert "give a reason" in str(app.screen.query_one("#confirm-error").render())
            await pilot.press(*"checked the errors", "enter")
            await until(pilot, lambda: notified(app, "resumed"))
            await h.until(lambda: h.jobs.get(job.job_id).state is JobState.RUNNING, limit=600)
            await pilot.press("escape")
            assert isinstance(app.screen, MainScreen)
    finally:
        await h.stop()
