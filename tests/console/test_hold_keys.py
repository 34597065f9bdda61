"""Holds in the console: `h` holds the tenant under the cursor with a reason (as `cutover hold`), NEXT STEP and
the detail say so, `c` on it opens break-glass naming rule tenant-hold, `U` puts it back; the palette too."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness
from pilot_helpers import screen_lines, until
from textual.widgets import Static

from cutover.console.app import CutoverApp
from cutover.console.screens.break_glass import BreakGlass
from cutover.console.screens.confirm import ConfirmOne
from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.screens.main import MainScreen
from cutover.console.widgets.fleet_table import FleetTable

pytestmark = pytest.mark.asyncio


def notified(app, text: str) -> bool:
    return any(text in n.message or text in (n.title or "") for n in app._notifications)


def next_step(app, tenant_id: str) -> str:
    return app.screen.query_one(FleetTable).row(tenant_id).cell("next").text


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_h_holds_with_a_reason_next_step_and_detail_say_so_c_needs_break_glass_and_u_releases(
    tmp_path: Path, size
) -> None:
    h = Harness(tmp_path, ready=2, operator="bob")
    app = CutoverApp(h.session)
    try:
        async with app.run_test(size=size) as pilot:
            await app.refresh_now()
            app.screen.query_one(FleetTable).move_cursor_to("T-0001")
            await pilot.press("h")
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            assert app.screen.targets.action == "hold" and app.screen.targets.eligible == ("T-0001",)
            await pilot.press("tab", "enter")  # no reason: refused in the dialog, nothing held
            await pilot.pause()
            assert isinstance(app.screen, ConfirmOne) and not h.ops.holds()
            await pilot.press(*"customer asked to reschedule", "tab", "tab", "enter")
            await until(pilot, lambda: isinstance(app.screen, MainScreen) and bool(h.ops.holds()))
            assert h.ops.holds()["T-0001"].held_by == "bob"
            await app.refresh_now()
            await until(pilot, lambda: next_step(app, "T-0001") == "held: customer asked to reschedule (bob)")
            assert any("held: customer asked" in line for line in screen_lines(app))

            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, BreakGlass))
            shown = " ".join(str(s.render()) for s in app.screen.query(".break-glass-rule").results(Static))
            assert "tenant-hold" in shown and "held by bob: customer asked to reschedule" in shown
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            assert not h.jobs.find()

            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen))
            await until(pilot, lambda: any("Hold: held by bob" in line for line in screen_lines(app)))
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))

            await pilot.press("U")
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            assert app.screen.targets.action == "unhold"
            await pilot.press(*"customer confirmed tonight", "tab", "tab", "enter")
            await until(pilot, lambda: not h.ops.holds())
            await app.refresh_now()
            await until(pilot, lambda: not next_step(app, "T-0001").startswith("held"))
        kinds = [(e.kind, e.why) for e in h.session.events.find() if e.tenant_id == "T-0001"]
        assert ("tenant.held", "customer asked to reschedule") in kinds
        assert ("tenant.unheld", "customer confirmed tonight") in kinds
    finally:
        h.store.close()


@pytest.mark.slow  # over a second
async def test_the_palette_holds_and_unhold_of_a_tenant_not_held_is_refused_before_any_dialog(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=2)
    app = CutoverApp(h.session)
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await app.refresh_now()
            app.screen.query_one(FleetTable).move_cursor_to("T-0002")
            await pilot.press("U")
            await until(pilot, lambda: notified(app, "T-0002: not held, nothing to release"))
            assert isinstance(app.screen, MainScreen)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"Hold out of the queue", "enter")
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            await pilot.press(*"vendor freeze", "tab", "tab", "enter")
            await until(pilot, lambda: "T-0002" in h.ops.holds())
    finally:
        h.store.close()
