"""Break-glass from the console: a safety rule refuses, the operator sees which one, gives a reason, and
the override reaches the audit trail through the real engine and store."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness
from pilot_helpers import until
from textual.widgets import Input, Static

from cutover.console.app import CutoverApp
from cutover.console.screens.break_glass import BreakGlass
from cutover.console.screens.confirm import ConfirmOne
from cutover.console.widgets.fleet_table import FleetTable

pytestmark = pytest.mark.asyncio


def notified(app, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


async def test_an_enterprise_cutover_needs_break_glass_with_a_reason(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2, enterprise=(1,))
    await h.start()
    app = CutoverApp(h.session)
    app.operations.on_submit = h.engine.wake
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await app.refresh_now()
            app.screen.query_one(FleetTable).move_cursor_to("T-0001")
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, BreakGlass))
            dialog = app.screen
            rules = {refusal.rule for refusal in dialog.refusals}
            assert "enterprise-approval" in rules
            shown = " ".join(str(static.render()) for static in dialog.query(".break-glass-rule").results(Static))
            assert "enterprise-approval" in shown and "T-0001" in shown

            # No reason, no override: the dialog stays and says why.
            await pilot.press("enter")
            assert app.screen is dialog
            assert "reason is required" in str(dialog.query_one("#break-glass-error", Static).render())

            dialog.query_one("#break-glass-reason", Input).value = "customer CTO on the bridge, approves by phone"
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            assert "overridden: enterprise-approval" in app.screen.targets.detail
            await pilot.press("tab", "enter")
            await until(pilot, lambda: notified(app, "submitted"))

        overrides = [e for e in h.session.events.find() if e.kind == "break-glass"]
        assert overrides, "the override is not in the audit trail"
        assert any("enterprise-approval" in e.what for e in overrides)
        assert all(e.why == "customer CTO on the bridge, approves by phone" for e in overrides)
        assert all(e.operator == "alice" for e in overrides)
    finally:
        await h.stop()


async def test_cancelling_break_glass_submits_nothing(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2, enterprise=(1,))
    await h.start()
    app = CutoverApp(h.session)
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await app.refresh_now()
            app.screen.query_one(FleetTable).move_cursor_to("T-0001")
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, BreakGlass))
            await pilot.press("escape")
            await until(pilot, lambda: notified(app, "not overridden, nothing done"))
        assert app.operations.jobs.find() == []
        assert not [e for e in h.session.events.find() if e.kind == "break-glass"]
    finally:
        await h.stop()
