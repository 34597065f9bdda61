"""The night's go/no-go in the console: the header says `GO 1/2: waiting for on-call`, then `NO-GO: dba (...)`
with the LINE STOPPED banner, at 120x35 and at 80x24; nothing shows when no checklist is configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import Harness
from pilot_helpers import screen_lines, until

from cutover.config.settings import GoNoGoSettings, NightSettings, Settings
from cutover.console.app import CutoverApp
from cutover.state.signoffs import GO, NO_GO

pytestmark = pytest.mark.asyncio

CHECKLIST = NightSettings(go_no_go=GoNoGoSettings(items={"backups": "dba", "pager": "on-call"}))


def top(app, rows: int = 4) -> str:
    return "\n".join(screen_lines(app)[:rows])


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_header_says_how_many_items_are_signed_and_a_no_go_stops_the_line_on_screen(
    tmp_path: Path, size
) -> None:
    h = Harness(tmp_path, ready=2, settings=Settings(night=CHECKLIST))
    app = CutoverApp(h.session)
    try:
        async with app.run_test(size=size) as pilot:
            await app.refresh_now()
            await until(pilot, lambda: "GO 0/2: waiting for dba, on-call" in top(app))
            h.ops.sign_night("backups", decision=GO, reason="restore test passed")
            await app.refresh_now()
            await until(pilot, lambda: "GO 1/2: waiting for on-call" in top(app))
            assert "LINE STOPPED" not in top(app)
            h.ops.sign_night("backups", decision=NO_GO, reason="restore failed")
            await app.refresh_now()
            await until(pilot, lambda: "NO-GO: dba (restore failed)" in top(app))
            await until(pilot, lambda: "LINE STOPPED: NO-GO for the night of" in " ".join(top(app, 6).split()))
            h.ops.sign_night("backups", decision=GO, reason="restored")
            h.ops.sign_night("pager", decision=GO, reason="rota staffed")
            await app.refresh_now()
            await until(pilot, lambda: "GO 2/2" in top(app) and "LINE STOPPED" not in top(app, 6))
    finally:
        h.store.close()


async def test_no_checklist_no_go_text(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=2)
    app = CutoverApp(h.session)
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await app.refresh_now()
            await pilot.pause()
            assert "GO " not in top(app) and "NO-GO" not in top(app)
    finally:
        h.store.close()


async def test_b_on_a_night_without_every_go_opens_break_glass_naming_what_is_missing(tmp_path: Path) -> None:
    from textual.widgets import Static

    from cutover.console.screens.break_glass import BreakGlass
    from cutover.console.screens.main import MainScreen
    from cutover.console.widgets.fleet_table import FleetTable

    h = Harness(tmp_path, ready=2, settings=Settings(night=CHECKLIST))
    app = CutoverApp(h.session)
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await app.refresh_now()
            app.screen.query_one(FleetTable).move_cursor_to("T-0001")
            await pilot.press("b")
            await until(pilot, lambda: isinstance(app.screen, BreakGlass))
            shown = " ".join(str(s.render()) for s in app.screen.query(".break-glass-rule").results(Static))
            assert "go-no-go" in shown and "waiting for backups (dba), pager (on-call)" in " ".join(shown.split())
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            assert not h.jobs.find()
    finally:
        h.store.close()
