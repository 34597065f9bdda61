"""D decommissions the tenant under the cursor: refused with the rule's words during the watch; after it the
dialog says it is the point of no return and acts only on the typed phrase, at 120x35 and 80x24."""

from __future__ import annotations

import pytest
from engine_helpers import Harness
from pilot_helpers import screen_lines, until

from cutover.actions.plan.plans import PlanRequest
from cutover.console.app import CutoverApp
from cutover.console.screens.decommission import ConfirmDecommission
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.lifecycle import Lifecycle

pytestmark = pytest.mark.asyncio


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_d_is_refused_during_the_watch_and_after_it_asks_the_typed_phrase(tmp_path, size) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)
    app._engine_started = True
    try:
        job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
        await h.until(h.job_done(job.job_id), what="the flip")
        async with app.run_test(size=size, notifications=True) as pilot:
            await app.refresh_now()
            app.screen.query_one(FleetTable).move_cursor_to("T-0001")
            await pilot.press("D")
            await until(pilot, lambda: any(n.title == "Refused: decommission" for n in app._notifications))
            (refused,) = [n for n in app._notifications if n.title == "Refused: decommission"]
            assert "its watch has 24h left" in refused.message
            assert not isinstance(app.screen, ConfirmDecommission)

            promoted = h.tenants.get("T-0001").lifecycle_since
            await h.until(lambda: h.clock.now() > promoted + 24 * 3600 + 60, limit=25 * 3600, what="the watch")
            await pilot.press("D")
            await until(pilot, lambda: isinstance(app.screen, ConfirmDecommission))
            shown = " ".join(screen_lines(app))
            assert "the point of no return" in shown
            await pilot.press(*"all stable")
            await pilot.press("enter")
            await pilot.press(*"decommission t-0001")
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, ConfirmDecommission))
            (submitted,) = h.jobs.find(kind="decommission")
            assert submitted.reason == "all stable"
            await h.until(h.job_done(submitted.job_id), limit=600, what="the decommission")
            assert h.tenants.get("T-0001").lifecycle is Lifecycle.DECOMMISSIONED
    finally:
        await h.stop()
