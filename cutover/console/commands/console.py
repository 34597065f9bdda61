"""`cutover console`: open the live console on the configured store."""

from __future__ import annotations

import click

from cutover.console.commands.common import EXIT_USAGE, Context, fail, user_errors


@click.command("console")
@click.option("--read-only", is_flag=True, help="Observe only: every action is hidden, and refused.")
@click.pass_obj
@user_errors
def console_command(obj: Context, read_only: bool) -> None:
    """Open the live console (fleet table, panels, keyboard actions)."""
    open_console(obj, read_only=read_only)


def open_console(obj: Context, *, read_only: bool = False) -> None:
    # Textual is imported here, not at the top: the headless commands never pay for it.
    from cutover.console.app import CutoverApp
    from cutover.console.keys import KeymapError, resolve_keymap

    config = obj.config
    try:
        keymap = resolve_keymap(config.settings.keys, source=f"{config.path or 'configuration'} [keys]")
    except KeymapError as exc:
        fail("\n".join(exc.problems), EXIT_USAGE)
    session = obj.session(create=False)
    try:
        code = CutoverApp(session, read_only=read_only, keymap=keymap).run()
    finally:
        session.close()
    raise SystemExit(code or 0)
