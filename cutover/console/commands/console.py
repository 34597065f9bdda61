"""`cutover console`: open the live console on the configured store."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cutover.actions.wiring.composition import world_clock
from cutover.actions.wiring.session import Session
from cutover.console.commands.common import EXIT_USAGE, Context, fail, user_errors

if TYPE_CHECKING:
    from textual.app import App

    from cutover.actions.engine.engine import Engine


@click.command("console")
@click.option("--read-only", is_flag=True, help="Observe only: every action is hidden, and refused.")
@click.pass_obj
@user_errors
def console_command(obj: Context, read_only: bool) -> None:
    """Open the live console (fleet table, panels, keyboard actions)."""
    open_console(obj, read_only=read_only)


def open_console(obj: Context, *, read_only: bool = False) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail(
            "the console needs a terminal; for scripts use the headless commands "
            "(cutover status, cutover events, cutover demo --headless)",
            EXIT_USAGE,
        )
    keymap = console_keymap(obj)
    session = obj.session(create=False)
    try:
        # The simulated fleet runs on world time (kept in the store); real providers on the wall clock.
        session.clock = session.events.clock = world_clock(session.settings, session.store, actor=session.actor)
        run_console(session, read_only=read_only, keymap=keymap)
    finally:
        session.close()


def log_into_console(app: App, store_path: Path) -> None:
    """Nothing writes to the terminal the console paints: records go to the log file beside the
    store and to Textual's handler; cutover's errors (the engine's) show as alerts on screen."""
    from cutover.actions.wiring.logs import configure
    from cutover.console.log_alerts import ConsoleLogHandler

    level = logging.getLevelName(logging.getLogger().level).lower()
    configure(store_path, level=level, command="console", terminal=False, extra=ConsoleLogHandler(app))


def run_console(session: Session, *, read_only: bool, keymap: dict[str, str]) -> None:
    """Open the console on `session` (its clock already the right one), with an engine in its own
    thread unless read-only. Textual is imported here: the headless commands never pay for it;
    the engine is built once the fleet is on screen."""
    from cutover.console.app import CutoverApp

    def build_engine() -> Engine:
        from cutover.actions.engine.engine import Engine

        return Engine(session.settings, actor=session.actor)

    app = CutoverApp(session, read_only=read_only, keymap=keymap, engine_factory=build_engine)
    log_into_console(app, session.settings.state.path)
    try:
        code = app.run()
    finally:
        app.shutdown_engine()
    if code:
        raise SystemExit(code)


def console_keymap(obj: Context) -> dict[str, str]:
    """The [keys] remapping, validated before anything opens: a bad entry exits 2 naming it."""
    from cutover.console.keys import KeymapError, resolve_keymap

    config = obj.config
    try:
        return resolve_keymap(config.settings.keys, source=f"{config.path or 'configuration'} [keys]")
    except KeymapError as exc:
        fail("\n".join(exc.problems), EXIT_USAGE)
