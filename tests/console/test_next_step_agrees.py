"""The next step a tenant shows is one answer: the fleet table's NEXT STEP, the detail view's header and the key
figures under the table say the same words for a tenant in every lifecycle state, and for one a job holds."""

from __future__ import annotations

import pytest
from engine_helpers import Harness
from pilot_helpers import until

from cutover.actions.plan.plans import PlanRequest
from cutover.console.app import CutoverApp
from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.widgets.fleet_table import FleetTable

pytestmark = pytest.mark.asyncio


def detail_next(app: CutoverApp) -> str:
    """The detail header's "next:" words ("" until the screen has read its tenant)."""
    found = app.screen.query("#detail-title")
    if not found:
        return ""
    title = str(found.first().render())
    return title.split("  next: ", 1)[1].strip() if "  next: " in title else ""


@pytest.mark.slow  # over a second
async def test_every_lifecycle_state_says_one_next_step_in_the_table_and_the_detail_header(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        one_per_state = {table.row(tid).lifecycle: tid for tid in reversed(table.all_ids)}
        assert len(one_per_state) >= 7, one_per_state  # the simulated fleet has tenants in most states
        for state, tenant_id in sorted(one_per_state.items()):
            in_table = table.row(tenant_id).cell("next").text
            app.open_detail(tenant_id)
            await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen) and detail_next(app) != "")
            assert detail_next(app) == in_table, (state, tenant_id)
            app.pop_screen()
            await until(pilot, lambda: not isinstance(app.screen, TenantDetailScreen))


async def test_a_tenant_a_job_holds_says_the_jobs_step_in_the_table_and_the_detail_header(tmp_path) -> None:
    h = Harness(tmp_path, ready=3)
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)
    app._engine_started = True
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0002"])), reason="pilot tenant")
            await h.until(lambda: h.tenants.get("T-0002").lifecycle.value == "monitoring", what="monitoring")
            await app.refresh_now()
            table = app.screen.query_one(FleetTable)
            in_table = table.row("T-0002").cell("next").text
            assert in_table == f"{flip.job_id}: monitoring"
            app.open_detail("T-0002")
            await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen) and detail_next(app) != "")
            assert detail_next(app) == in_table
    finally:
        await h.stop()
