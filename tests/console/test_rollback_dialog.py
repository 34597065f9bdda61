"""The rollback dialog says what it will do: the DNS change per zone, and what it does to tonight's rollback count."""

from __future__ import annotations

import pytest
from pilot_helpers import screen_lines, until
from test_dialogs_fit import assert_on_screen

from cutover.console.screens.confirm import ConfirmMany, ConfirmOne
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.lifecycle import Lifecycle

pytestmark = pytest.mark.asyncio

SIZES = [(120, 35), (80, 24)]


async def _fleet(app, pilot) -> FleetTable:
    await app.refresh_now()
    await pilot.pause()
    return app.screen.query_one(FleetTable)


def _on_oci(writer, table: FleetTable, state: Lifecycle) -> list[str]:
    """Tenants in `state`, their record as the engine's last DNS poll read it (OCI's address)."""
    found = [tid for tid in table.visible_ids if table.row(tid).lifecycle is state]
    for tid in found:
        number = int(tid.split("-")[1])
        writer.tenants.observe(tid, dns_routing=f"129.213.0.{number} (TTL 60)")
    return found


@pytest.mark.parametrize("size", SIZES)
async def test_rolling_back_two_shows_one_change_set_per_zone_and_that_the_batch_will_stop(
    make_app, writer, size
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await _fleet(app, pilot)
        monitoring = _on_oci(writer, table, Lifecycle.MONITORING)[:2]
        migrated = _on_oci(writer, table, Lifecycle.MIGRATED)
        # One rollback already tonight; two more take the night to 3 with a limit of 2.
        writer.tenants.transition(migrated[0], Lifecycle.ROLLING_BACK, why="trigger error-rate")
        await app.refresh_now()
        table.set_marks(monitoring)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmMany))
        await pilot.pause()
        detail = app.screen.targets.detail
        assert "DNS zone Z1EXAMPLE: one change set (2 records, applied together)" in detail
        for tid in monitoring:
            number = int(tid.split("-")[1])
            assert f"{tid} t{number}.tenants.example: 129.213.0.{number} (TTL 60) -> 52.1.0.{number} (TTL " in detail
        assert "this takes rollbacks to 3, the limit is 2: tonight's batch will stop" in detail
        shown = "\n".join(screen_lines(app))
        assert "one change set" in shown and "-> 52.1.0." in shown
        body = app.screen.query_one("#confirm-body")
        body.scroll_end(animate=False)
        await pilot.pause()
        assert "the limit is 2" in "\n".join(screen_lines(app))  # the counter, a scroll away at most
        assert_on_screen(app, "#confirm-reason", "#confirm-count", "#cancel")


@pytest.mark.parametrize("size", SIZES)
async def test_rolling_back_one_says_the_count_after_it_within_the_limit(make_app, writer, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        table = await _fleet(app, pilot)
        tenant = _on_oci(writer, table, Lifecycle.MIGRATED)[0]
        await app.refresh_now()
        table.move_cursor_to(tenant)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        await pilot.pause()
        number = int(tenant.split("-")[1])
        shown = "\n".join(screen_lines(app))
        assert "DNS zone Z1EXAMPLE: one change set (1 record, applied together)" in shown
        assert f"129.213.0.{number} (TTL 60) -> 52.1.0.{number}" in shown
        assert "rollbacks tonight: 1 of 2 after this" in shown
        assert_on_screen(app, "#confirm-reason", "#cancel", "#confirm")
