"""What people typed shows whole in the console: brackets are text, a terminal escape is shown, never obeyed."""

from __future__ import annotations

import pytest
from pilot_helpers import screen_lines, until

from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.screens.main import MainScreen
from cutover.console.widgets.fleet_table import FleetTable
from cutover.state.events import EventLog
from cutover.state.identity import Actor

pytestmark = pytest.mark.asyncio

HOSTILE_NAME = "Acme[/] \x1b]0;pwned\x07\x1b[2J"


async def test_brackets_and_escapes_in_names_reasons_and_operators_show_as_typed(make_app, writer) -> None:
    with writer.store.write() as db:  # a value stored before imports refused control characters
        db["tenants"].update("T-0001", {"name": HOSTILE_NAME})
    other = EventLog(writer.store, Actor(operator="[/]eve", host="jump-2"), writer.clock)
    other.append("note", "looked at it", tenant_id="T-0001", why="approved [per INC-123]")
    other.append("alert", "T-0001: [bold]odd[/] \x1b[31mred", tenant_id="T-0001", detail={"severity": "error"})

    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await app.refresh_now()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        main = "\n".join(screen_lines(app))
        assert "[bold]odd[/] \\x1b[31mred" in main, "the alert shows its text, brackets and escape included"
        app.screen.query_one(FleetTable).move_cursor_to("T-0001")
        await pilot.press("enter")
        assert isinstance(app.screen, TenantDetailScreen)
        app.screen.refresh_now()
        await until(pilot, lambda: "approved [per INC-123]" in "\n".join(screen_lines(app)))
        shown = "\n".join(screen_lines(app))
        assert "Acme[/] \\x1b]0;pwned\\x07\\x1b[2J" in shown
        assert "[/]eve" in shown
        assert "\x1b" not in shown and "\x07" not in shown
