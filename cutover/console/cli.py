"""The `cutover` command: the console, and the headless commands for scripts.

Each family of commands lives in its own module under `commands/`; this module
only assembles them. Exit codes: 0 success, 1 the operation failed, 2 bad usage
or bad input.
"""

from __future__ import annotations

import os

import click

from cutover.config.loader import resolve_config_path
from cutover.console.commands.actions import COMMANDS as ACTION_COMMANDS
from cutover.console.commands.audit import audit
from cutover.console.commands.common import Context
from cutover.console.commands.config import config_group
from cutover.console.commands.console import console_command
from cutover.console.commands.demo import demo
from cutover.console.commands.inspect import events, status
from cutover.console.commands.lab import lab_command
from cutover.console.commands.matrix import import_command


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="CUTOVER_CONFIG",
    help="The cutover.toml to use (default: $CUTOVER_CONFIG, then ./cutover.toml).",
)
@click.version_option(package_name="cutover-console")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Mission control for tenant-by-tenant AWS to OCI cutovers.

    With no command, opens the console (on the built-in simulated fleet when
    no configuration names real providers).
    """
    ctx.obj = Context(config_path)
    if ctx.invoked_subcommand is None:
        if resolve_config_path(config_path, dict(os.environ)) is None:
            # No configuration at all: the built-in simulated fleet.
            ctx.invoke(demo)
        else:
            ctx.invoke(console_command)


for command in (
    status,
    events,
    audit,
    config_group,
    import_command,
    console_command,
    demo,
    lab_command,
    *ACTION_COMMANDS,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="cutover")
