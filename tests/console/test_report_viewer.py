"""e opens the tenant's compliance report in a scrollable viewer (from the fleet and from the detail), read in a
thread; it fits at 120x35 and 80x24 and scrolls to the audit seal at its end; the palette offers "Report…"."""

from __future__ import annotations

import pytest
from engine_helpers import Harness
from pilot_helpers import screen_lines, until

from cutover.actions.plan.plans import PlanRequest
from cutover.console.app import CutoverApp
from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.screens.report_viewer import ReportViewerScreen
from cutover.console.widgets.fleet_table import FleetTable
from cutover.state.chain import verify_chain

pytestmark = pytest.mark.asyncio


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_e_opens_the_report_and_it_scrolls_to_the_chain_head(tmp_path, size) -> None:
    h = Harness(tmp_path, ready=2)
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)
    app._engine_started = True
    try:
        job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
        await h.until(h.job_done(job.job_id), what="the flip")
        async with app.run_test(size=size) as pilot:
            await app.refresh_now()
            app.screen.query_one(FleetTable).move_cursor_to("T-0001")
            await pilot.press("e")
            await until(pilot, lambda: isinstance(app.screen, ReportViewerScreen) and app.screen.report is not None)
            await pilot.pause()
            shown = screen_lines(app)
            assert shown[0].startswith("T-0001: compliance report")
            assert any("Migration report: T-0001" in line for line in shown)
            assert all(len(line) <= size[0] for line in shown)
            await pilot.press("end")
            await pilot.pause()
            seal = app.screen.report.seal
            assert seal.head_seq == verify_chain(h.store).head_seq
            assert any("-----END CUTOVER AUDIT SEAL-----" in line for line in screen_lines(app))
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, ReportViewerScreen))

            await pilot.press("enter")  # the detail: e acts on its tenant
            await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen))
            await pilot.press("e")
            await until(pilot, lambda: isinstance(app.screen, ReportViewerScreen) and app.screen.report is not None)
            assert app.screen.tenant_id == "T-0001"
            await pilot.press("escape", "escape")  # the report, then the detail
            await until(pilot, lambda: not isinstance(app.screen, (ReportViewerScreen, TenantDetailScreen)))

            app.screen.query_one(FleetTable).move_cursor_to("T-0002")
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"Report", "enter")  # the palette's "Report…"
            await until(pilot, lambda: isinstance(app.screen, ReportViewerScreen) and app.screen.report is not None)
            assert app.screen.tenant_id == "T-0002" and app.screen.report.lifecycle == "ready"
    finally:
        await h.stop()
