"""NEXT STEP of a tenant a batch holds whose group has not started: when its group is expected, not a step name."""

from __future__ import annotations

import pytest
from pilot_helpers import screen_lines

from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import PlanRequest
from cutover.config.units import format_clock
from cutover.console.widgets.fleet_table import FleetTable

pytestmark = pytest.mark.asyncio

SIZES = [(120, 35), (80, 24)]


@pytest.mark.parametrize("size", SIZES)
async def test_tenants_of_groups_not_started_say_their_group_waits_and_when(make_app, writer, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        ready = [
            t
            for t in table.visible_ids
            if table.row(t).cell("next").text == "cut over" and table.row(t).tier != "enterprise"
        ][:6]
        ops = Operations(writer)
        plan = ops.plan(PlanRequest.batch(ready, count=6, group_size=2))
        assert len(plan.groups) == 3, plan.problems
        job = ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase)
        await app.refresh_now()
        await pilot.pause()
        zone = writer.settings.safety.window.zone
        expected = {int(t["group"]): float(t["start"]) for t in job.params["expected"]}
        last = plan.groups[2][0]
        want = f"{job.job_id}: group 3 waits (~{format_clock(expected[3], zone)})"
        assert table.row(last).cell("next").text == want
        assert "EST" in want
        table.move_cursor_to(last)
        await pilot.pause()
        assert any(f"{job.job_id}: group 3" in line for line in screen_lines(app))
        assert all("hydrate" not in table.row(t).cell("next").text for group in plan.groups for t in group)
        # `cutover status` reads the same: group 1 has not started either (no engine leads here).
        first = f"{job.job_id}: group 1 waits (~{format_clock(expected[1], zone)})"
        assert ops.read.activity()[plan.groups[0][0]] == first
