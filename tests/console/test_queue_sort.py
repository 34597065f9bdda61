"""The queue order in the console: `s` after the last column sorts by the queue (Pilot, wave, priority: the
order a batch picks in), the gutter says `Q▲`, and the palette offers it by name."""

from __future__ import annotations

import pytest
from pilot_helpers import screen_lines, until

from cutover.actions.plan.queue_order import in_queue_order
from cutover.console.fleet.columns import QUEUE
from cutover.console.widgets.fleet_table import FleetTable

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_s_sorts_by_the_queue_order(make_app, session, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        table.set_sort("backends")
        await pilot.press("s")
        await until(pilot, lambda: table.sort_column == QUEUE)
        want = [t.tenant_id for t in in_queue_order(session.tenants.find())]
        assert want != sorted(want) and list(table.visible_ids) == want
        assert any("sorted by queue order (Pilot, wave, priority" in n.message for n in app._notifications)
        header = next(line for line in screen_lines(app) if "TENANT" in line)
        assert header.lstrip().startswith("Q▲")


@pytest.mark.slow  # over a second
async def test_the_palette_sorts_by_queue_order(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await app.refresh_now()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Sort by queue order", "enter")
        await until(pilot, lambda: app.screen.query_one(FleetTable).sort_column == QUEUE)
