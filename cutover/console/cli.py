"""The `cutover` command: the console, and the headless commands for scripts.

Exit codes: 0 success, 1 the operation failed, 2 bad usage or bad input.
A user's mistake gets a message naming what is wrong and what to do, never a
traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from cutover.actions.importing import import_matrix
from cutover.actions.session import Session
from cutover.config.loader import ConfigError, LoadedConfig, effective_values, load_config
from cutover.config.matrix import MatrixError
from cutover.console import render
from cutover.state.events import verify_chain
from cutover.state.lifecycle import DomainError, Lifecycle
from cutover.state.next_step import next_step
from cutover.state.store import StoreError
from cutover.state.tenants import UnknownTenant

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What every command shares: where the configuration comes from."""

    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._config: LoadedConfig | None = None

    @property
    def config(self) -> LoadedConfig:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def session(self, *, create: bool = False, in_memory: bool = False) -> Session:
        return Session.open(self.config, create=create, in_memory=in_memory)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def user_errors(func: F) -> F:
    """Turn the domain's refusals into a message and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            fail("\n".join(exc.problems), EXIT_USAGE)
        except MatrixError as exc:
            fail("\n".join(exc.problems) + "\nNothing was imported.", EXIT_USAGE)
        except UnknownTenant as exc:
            fail(str(exc), EXIT_USAGE)
        except (StoreError, DomainError) as exc:
            fail(str(exc), EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="CUTOVER_CONFIG",
              help="The cutover.toml to use (default: $CUTOVER_CONFIG, then ./cutover.toml).")  # fmt: skip
@click.version_option(package_name="cutover-console")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Mission control for tenant-by-tenant AWS to OCI cutovers.

    With no command, opens the console (on the built-in simulated fleet when
    no configuration names real providers).
    """
    ctx.obj = Context(config_path)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


# --- status and events -----------------------------------------------------------


@cli.command()
@click.argument("tenant", required=False)
@click.option("--wave", type=click.IntRange(0, 99), help="Only this wave.")
@click.option("--state", "state", type=click.Choice([s.value for s in Lifecycle]), help="Only tenants in this state.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see the README).")
@click.pass_obj
@user_errors
def status(obj: Context, tenant: str | None, wave: int | None, state: str | None, as_json: bool) -> None:
    """Show tenants: lifecycle, sync health and the next step."""
    session = obj.session()
    try:
        now = session.clock.now()
        gates = session.settings.gates
        tenants = [session.tenants.get(tenant)] if tenant else session.tenants.list(wave=wave, lifecycle=state)
        if tenant and ((wave is not None and tenants[0].wave != wave) or (state and tenants[0].lifecycle != state)):
            tenants = []
        steps = {t.tenant_id: next_step(t, now, gates) for t in tenants}
        if as_json:
            click.echo(json.dumps(render.status_json(tenants, steps, now), indent=2))
        elif tenant and tenants:
            render.print_tenant(tenants[0], steps[tenants[0].tenant_id], now)
        else:
            render.print_status(tenants, steps, now)
    finally:
        session.close()


@cli.command()
@click.argument("tenant", required=False)
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the newest N events.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see the README).")
@click.pass_obj
@user_errors
def events(obj: Context, tenant: str | None, limit: int | None, as_json: bool) -> None:
    """Show the audit trail, oldest first: who, what, when, why."""
    session = obj.session()
    try:
        if tenant:
            session.tenants.get(tenant)
        found = session.events.list(tenant_id=tenant, limit=limit)
        if as_json:
            click.echo(json.dumps(render.events_json(found), indent=2))
        else:
            render.print_events(found)
    finally:
        session.close()


# --- audit -----------------------------------------------------------------------


@cli.group()
def audit() -> None:
    """Check the audit trail."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@user_errors
def audit_verify(obj: Context, as_json: bool) -> None:
    """Walk the hash chain; exit 1 and name the first bad row if it is broken."""
    session = obj.session()
    try:
        report = verify_chain(session.store)
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps({"schema": "cutover.audit/1", **report.__dict__}, indent=2))
    elif report.ok:
        click.echo(f"audit trail intact: {report.checked} events, head {report.head_hash}")
    else:
        click.echo(f"AUDIT TRAIL BROKEN at event {report.problem_seq}: {report.problem}", err=True)
    if not report.ok:
        sys.exit(EXIT_FAILED)


# --- config ----------------------------------------------------------------------


@cli.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@user_errors
def config_check(obj: Context, path: str | None, as_json: bool) -> None:
    """Validate a configuration and print the effective values and where each came from."""
    loaded = load_config(path or obj.config_path)
    rows = effective_values(loaded)
    if as_json:
        click.echo(json.dumps({"schema": "cutover.config/1", "file": str(loaded.path) if loaded.path else None,
                               "values": [{"key": k, "value": v, "origin": o} for k, v, o in rows]}, indent=2))  # fmt: skip
    else:
        render.print_config(loaded, rows)


# --- import ----------------------------------------------------------------------


@cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.pass_obj
@user_errors
def import_command(obj: Context, file: Path, dry_run: bool) -> None:
    """Import the tenant migration matrix (CSV). All rows land, or none."""
    # A dry run against a store that does not exist yet must not create one.
    session = obj.session(create=True, in_memory=dry_run and not obj.config.settings.state.path.exists())
    try:
        result = import_matrix(session.tenants, file, dry_run=dry_run)
    finally:
        session.close()
    render.print_import(result, dry_run)


def main() -> None:
    cli(prog_name="cutover")
