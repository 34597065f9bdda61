"""The `cutover` command: the console, and the headless commands for scripts.

Each family of commands lives in its own module under `commands/`; this module
only names them. A command's module is imported when that command runs (or
`--help` lists them all), so opening the console does not pay for importing
every headless command. Exit codes: 0 success, 1 the operation failed, 2 bad
usage or bad input.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

import click

from cutover.config.loader import resolve_config_path
from cutover.console.commands.common import Context

# Command name -> "module:attribute". A command missing here is looked for in the
# modules of FAMILIES (which list theirs in COMMANDS), so adding one there is enough.
LAZY_COMMANDS = {
    "status": "cutover.console.commands.inspect:status",
    "events": "cutover.console.commands.inspect:events",
    "audit": "cutover.console.commands.audit:audit",
    "store": "cutover.console.commands.store:store_group",
    "report": "cutover.console.commands.report:report",
    "config": "cutover.console.commands.config:config_group",
    "import": "cutover.console.commands.matrix:import_command",
    "console": "cutover.console.commands.console:console_command",
    "demo": "cutover.console.commands.demo:demo",
    "lab": "cutover.console.commands.lab:lab_command",
    "doctor": "cutover.console.commands.doctor:doctor",
    "dns": "cutover.console.commands.dns:dns_group",
    "hold": "cutover.console.commands.queue:hold",
    "unhold": "cutover.console.commands.queue:unhold",
    "go": "cutover.console.commands.night_go:go",
    "no-go": "cutover.console.commands.night_go:no_go",
}
FAMILIES = ("cutover.console.commands.actions",)


def _load(spec: str) -> click.Command:
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute)


class LazyGroup(click.Group):
    """A click group that imports a command's module only when the command is asked for."""

    def _families(self) -> dict[str, click.Command]:
        found: dict[str, click.Command] = {}
        for module in FAMILIES:
            for command in importlib.import_module(module).COMMANDS:
                found[command.name or ""] = command
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*LAZY_COMMANDS, *self._families()]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            return _load(LAZY_COMMANDS[cmd_name])
        return self._families().get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """A usage error (a missing argument, an unknown option) of a command asked for --json still
        gives a JSON document on stdout, so a script reading it is never left with nothing."""
        args = [*getattr(ctx, "_protected_args", []), *ctx.args]
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            if "--json" not in args:
                raise
            error.show()
            document = {
                "schema": "cutover.error/1",
                "ok": False,
                "exit_code": error.exit_code,
                "error": error.format_message(),
                "usage": error.ctx.get_usage() if error.ctx is not None else "",
            }
            click.echo(json.dumps(document, indent=2))
            sys.exit(error.exit_code)


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="CUTOVER_CONFIG",
    help=(
        "The cutover.toml to use (default: $CUTOVER_CONFIG, then the first of ./cutover.toml, "
        "$XDG_CONFIG_HOME/cutover/cutover.toml, /etc/cutover/cutover.toml)."
    ),
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    help="Detail of the log file (default info; -v is debug).",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug detail in the log file (as --log-level debug).")
@click.version_option(package_name="cutover-console")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_level: str | None, verbose: bool) -> None:
    """Mission control for tenant-by-tenant AWS to OCI cutovers.

    With no command, opens the console (on the built-in simulated fleet when
    no configuration names real providers).

    Logs: every process appends to a rotating log file beside its store
    (state.path with .log: cutover.db -> cutover.log), secrets redacted;
    cutover's own warnings also go to stderr, one line each.
    """
    ctx.obj = Context(config_path)
    _log_to_file(ctx.obj, (log_level or ("debug" if verbose else "info")).lower(), ctx.invoked_subcommand)
    if ctx.invoked_subcommand is None:
        if resolve_config_path(config_path, dict(os.environ)) is None:
            # No configuration at all: the built-in simulated fleet.
            ctx.invoke(_load(LAZY_COMMANDS["demo"]))
        else:
            ctx.invoke(_load(LAZY_COMMANDS["console"]))


def _log_to_file(obj: Context, level: str, command: str | None) -> None:
    from cutover.actions.wiring.logs import configure
    from cutover.config.loader import ConfigError

    try:
        store = obj.config.settings.state.path
    except ConfigError:
        store = None  # the command reports the configuration's problems itself
    configure(store, level=level, command=command or "console")


def main() -> None:
    cli(prog_name="cutover")
