"""The console's log records: into the log file beside the store, and an engine's error on screen."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from pilot_helpers import until

from cutover.console.commands.console import log_into_console

pytestmark = pytest.mark.asyncio


async def test_an_engine_error_shows_as_an_alert_and_lands_in_the_log(
    make_app, fleet_path: Path, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app()
    log_into_console(app, fleet_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await app.refresh_now()

        def engine_thread() -> None:  # the engine runs in a thread of its own
            logging.getLogger("cutover.actions.engine.engine").error("engine e-1 stopped leading on an error: boom")
            logging.getLogger("cutover.actions.engine.pollers").warning("a warning is not an alert")

        thread = threading.Thread(target=engine_thread)
        thread.start()
        thread.join()
        await until(pilot, lambda: any("stopped leading" in n.message for n in app._notifications))
        assert not any("not an alert" in n.message for n in app._notifications)
    logged = (fleet_path.parent / "cutover.log").read_text()
    assert "ERROR console[" in logged and "engine e-1 stopped leading on an error: boom" in logged
    assert "stopped leading" not in capsys.readouterr().err  # nothing written over the console's screen
