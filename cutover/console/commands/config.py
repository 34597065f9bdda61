"""`cutover config check`: validate the configuration and show where each value came from."""

from __future__ import annotations

import json

import click

from cutover.config.loader import effective_values
from cutover.console import render
from cutover.console.commands.common import Context, user_errors
from cutover.console.commands.console import console_keymap


@click.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@user_errors
def config_check(obj: Context, path: str | None, as_json: bool) -> None:
    """Validate a configuration and print the effective values and where each came from."""
    checked = Context(path or obj.config_path)
    loaded = checked.config
    console_keymap(checked)  # the console's own check of [keys]: what passes here opens there
    rows = effective_values(loaded)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "schema": "cutover.config/1",
                    "file": str(loaded.path) if loaded.path else None,
                    "values": [{"key": k, "value": v, "origin": o} for k, v, o in rows],
                },
                indent=2,
            )
        )
    else:
        render.print_config(loaded, rows)
