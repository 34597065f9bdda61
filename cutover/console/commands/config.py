"""`cutover config check`: validate the configuration and show where each value came from."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click
from rich.table import Table

from cutover.actions.wiring.composition import all_simulated
from cutover.config.access import aws_sections, effective_aws_region
from cutover.config.loader import ConfigError, LoadedConfig, Origin, effective_values, resolve_config_path
from cutover.config.settings import Settings
from cutover.config.text import visible
from cutover.console.commands.common import EXIT_USAGE, Context, echo, user_errors
from cutover.console.commands.console import console_keymap
from cutover.console.commands.output import make_console
from cutover.console.plain import plain
from cutover.state.location import open_store
from cutover.state.simworld import SimWorldStore
from cutover.state.store import StoreError


@click.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, problems included.")
@click.pass_obj
@user_errors
def config_check(obj: Context, path: str | None, as_json: bool) -> None:
    """Validate a configuration and print the effective values and where each came from."""
    checked = Context(path or obj.config_path)
    if as_json:
        _check_as_json(checked)
        return
    loaded = checked.config
    console_keymap(checked)  # the console's own check of [keys]: what passes here opens there
    print_config(loaded, effective_values(loaded))
    for region in aws_regions(loaded.settings):
        if region["region"]:
            echo(f"effective AWS region of [{region['section']}]: {region['region']} (from {region['from']})")
        else:
            echo(f"effective AWS region of [{region['section']}]: none: {region['from']}; {region['advice']}")
    speed = world_speed(loaded.settings)
    if speed is not None:
        shown = "paused" if speed == 0 else f"x{speed:g}"
        echo(
            f"effective speed: the simulated world in {loaded.settings.state.location} runs at {shown}"
            + (" (cutover demo --speed 1 sets real time)" if speed != 1 else "")
        )


def aws_regions(settings: Settings) -> list[dict[str, str | None]]:
    """The region each configured AWS section's clients will use, and where it comes from (the
    configuration, AWS_REGION, AWS_DEFAULT_REGION or the profile), as the AWS SDK resolves it."""
    found: list[dict[str, str | None]] = []
    for section, access in aws_sections(settings.providers):
        region, origin = effective_aws_region(access, os.environ)
        advice = None
        if region is None and section.endswith((".dns.aws", ".route53.aws")):
            advice = "Route 53 is global: its calls are signed for us-east-1"
        elif region is None and section.endswith(".listings.s3"):
            advice = "S3 starts at us-east-1 and follows each bucket to its region"
        elif region is None:
            advice = f"set region in [{section}], AWS_REGION, or region in the profile: its calls will fail"
        found.append({"section": section, "region": region, "from": origin, "advice": advice})
    return found


def world_speed(settings: Settings) -> float | None:
    """The speed the store's simulated world runs at now (what `cutover` carries on at), if it has one."""
    if not all_simulated(settings) or not (settings.state.url or settings.state.path.exists()):
        return None
    try:
        with open_store(settings.state.location, read_only=True) as store:
            worlds = SimWorldStore(store)
            return worlds.clock_row()[2] if worlds.has_world() else None
    except StoreError:
        return None


def _check_as_json(checked: Context) -> None:
    """Scripts always get a document on stdout: the values, or every problem (and exit 2)."""
    from cutover.console.keys import KeymapError, resolve_keymap

    try:
        loaded = checked.config
        resolve_keymap(loaded.settings.keys, source=f"{loaded.path or 'configuration'} [keys]")
    except (ConfigError, KeymapError) as exc:
        named = resolve_config_path(checked.config_path, dict(os.environ))
        file = str(named) if named else None
        document = {"schema": SCHEMA, "ok": False, "file": file, "problems": exc.problems, "values": []}
        echo(json.dumps(document, indent=2))
        sys.exit(EXIT_USAGE)
    rows = effective_values(loaded)
    document = {
        "schema": SCHEMA,
        "ok": True,
        "file": str(loaded.path) if loaded.path else None,
        "found_by": loaded.found_by,
        "world_speed": world_speed(loaded.settings),
        "aws_regions": aws_regions(loaded.settings),
        "problems": [],
        "values": [{"key": k, "value": v, "origin": o} for k, v, o in rows],
    }
    echo(json.dumps(document, indent=2))


SCHEMA = "cutover.config/1"


def print_config(loaded: LoadedConfig, rows: list[tuple[str, Any, Origin]]) -> None:
    console = make_console()
    found = f" (from {loaded.found_by})" if loaded.path else f" ({loaded.found_by})" if loaded.found_by else ""
    console.print(plain(f"configuration OK: {loaded.path or 'no file, built-in defaults'}{found}"), soft_wrap=True)
    shown = [
        (visible(key), visible(repr(value) if isinstance(value, str) else str(value)), origin)
        for key, value, origin in rows
    ]
    if not sys.stdout.isatty():
        # Piped: plain lines, never padded to the longest value (the trigger rules run to hundreds of characters).
        key_width = max(len(key) for key, _, _ in shown)
        value_width = min(max(len(value) for _, value, _ in shown), _PIPED_VALUE_WIDTH)
        click.echo(f"{'KEY':<{key_width}}  {'VALUE':<{value_width}}  FROM")
        for key, value, origin in shown:
            click.echo(f"{key:<{key_width}}  {value:<{value_width}}  {origin}")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("KEY", no_wrap=True)
    table.add_column("VALUE")
    table.add_column("FROM", no_wrap=True)
    for key, value, origin in shown:
        table.add_row(plain(key), plain(value), origin)
    console.print(table)


_PIPED_VALUE_WIDTH = 40


_PIPED_VALUE_WIDTH = 40
