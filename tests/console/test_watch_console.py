"""The console shows a migrated tenant's watch: NEXT STEP counts down to decommission in the table and the detail
header, and the detail says how long the watch has left and how its T+4h checkpoint went."""

from __future__ import annotations

import pytest
from engine_helpers import Harness
from pilot_helpers import screen_lines, until

from cutover.actions.plan.plans import PlanRequest
from cutover.console.app import CutoverApp
from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.widgets.fleet_table import FleetTable
from cutover.state.watch import CHECKPOINT

pytestmark = pytest.mark.asyncio


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_watch_counts_down_and_its_checkpoint_shows_in_the_detail(tmp_path, size) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)
    app._engine_started = True
    try:
        job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
        await h.until(h.job_done(job.job_id), what="the flip")
        async with app.run_test(size=size) as pilot:
            await app.refresh_now()
            table = app.screen.query_one(FleetTable)
            assert table.row("T-0001").cell("next").text == "decommission in 24h"
            app.open_detail("T-0001")
            await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen))
            # Read as words: at 80 columns the header and the watch line wrap (laid out a frame after they arrive).
            words = lambda: " ".join(" ".join(screen_lines(app)).split())  # noqa: E731
            await until(pilot, lambda: "Watch: 24h left (intensive) · checkpoint T+4h in 4h" in words())
            shown = words()
            assert "next: decommission" in shown  # "in 24h" too where the header has room

            passed = lambda: any(e.kind == CHECKPOINT for e in h.session.events.find(tenant_id="T-0001"))  # noqa: E731
            await h.until(passed, limit=5 * 3600, what="the checkpoint")
            app.screen.refresh_now()
            await until(pilot, lambda: "checkpoint T+4h passed" in " ".join(screen_lines(app)), timeout=10)
            assert "Watch: 20h left · checkpoint T+4h passed" in " ".join(screen_lines(app))
            app.pop_screen()
            await until(pilot, lambda: not isinstance(app.screen, TenantDetailScreen))
            await app.refresh_now()
            assert app.screen.query_one(FleetTable).row("T-0001").cell("next").text == "decommission in 20h"
    finally:
        await h.stop()


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_a_migrated_tenant_no_job_is_on_record_for_leads_with_its_watch_and_the_way_back(make_app, size) -> None:
    """The simulated fleet's migrated tenants were moved before this store's jobs: the detail still leads with the
    watch and the way back, and the header's next step is whole (it wraps at 80 columns instead of being cut)."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        migrated = next(t for t in table.visible_ids if table.row(t).lifecycle == "migrated")
        next_step = table.row(migrated).cell("next").text
        app.open_detail(migrated)
        await until(
            pilot, lambda: isinstance(app.screen, TenantDetailScreen) and "Way back" in " ".join(screen_lines(app))
        )
        lines = screen_lines(app)
        words = " ".join(" ".join(lines).split())
        assert f"next: {next_step}" in words and "…" not in " ".join(lines[:3])
        way_back = next(i for i, line in enumerate(lines) if "Way back:" in line)
        gate = next(i for i, line in enumerate(lines) if "Gate (for a next cutover)" in line)
        assert way_back < gate
