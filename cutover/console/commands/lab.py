"""`cutover lab`: the real providers against local stand-ins of the clouds, with no cloud account.

Starts moto (Route 53, CloudWatch, S3), a local OCI endpoint that checks request
signatures, rclone's remote control, the tenants' application, a Slack webhook
and an SSH server, all on 127.0.0.1; seeds a hosted zone, buckets and N tenants;
then opens the console with every provider real and pointed at them. Everything
stops when the console closes.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import click

from cutover.actions.plan.importing import import_matrix
from cutover.actions.reports.fleet_summary import FleetSummary, summarise
from cutover.actions.wiring.composition import build_providers
from cutover.actions.wiring.lab_setup import prepare_ready
from cutover.actions.wiring.session import Session
from cutover.console.commands.common import Context, echo, fail, user_errors
from cutover.console.commands.summary_text import summary_lines
from cutover.model.clock import SystemClock


@click.command("lab")
@click.option("--tenants", type=click.IntRange(1, 10_000), default=50, show_default=True, help="Tenants to seed.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the lab writes its configuration, keys and store (default: a new temporary directory).",
)
@click.option(
    "--ready",
    type=click.IntRange(0),
    default=10,
    show_default=True,
    help="Tenants to bring to ready first, through the real providers (sync, verify, validate, hydrate).",
)
@click.option("--headless", is_flag=True, help="Print a fleet summary every --interval instead of the console.")
@click.option("--interval", type=click.FloatRange(0.5, 3600), default=5.0, show_default=True)
@click.option("--ticks", type=click.IntRange(1), help="Headless: stop after this many summaries.")
@user_errors
def lab_command(
    directory: Path | None, tenants: int, ready: int, headless: bool, interval: float, ticks: int | None
) -> None:
    """Run the console on real providers pointed at local stand-ins of AWS and OCI."""
    try:
        from cutover.lab.world import Lab
    except ImportError as exc:
        fail(f"the lab needs its extra: pip install 'cutover-console[lab]' ({exc})")
    where = directory or Path(tempfile.mkdtemp(prefix="cutover-lab-"))
    if (where / "cutover.db").exists():
        fail(f"{where}: already holds a lab store (cutover.db); give another --dir or remove it")
    echo(f"starting the lab in {where} ({tenants} tenants)...", err=True)
    started = time.perf_counter()
    lab = Lab.start(where, tenants=tenants, hydrate_seconds=3.0)
    try:
        os.environ.update(lab.environment())
        context = Context(str(lab.config_path))
        session = context.session(create=True)
        try:
            result = import_matrix(session.tenants, lab.matrix_path)
            prepared = asyncio.run(_prepare(session, min(ready, tenants))) if ready else []
        finally:
            session.close()
        echo(
            f"lab ready in {time.perf_counter() - started:.1f} s: moto {lab.moto.url}, OCI {lab.oci.url}, "
            f"rclone {lab.rclone.url}, SSH 127.0.0.1:{lab.ssh.port}; {len(result.plan.added)} tenants imported, "
            f"{len(prepared)} ready\n"
            f"configuration: {lab.config_path}",
            err=True,
        )
        exports = lab.write_exports()
        click.echo(
            f"in a second terminal (cutover status, flip, ...): source {exports}\n{exports.read_text()}", err=True
        )
        if headless:
            asyncio.run(_headless(context, interval, ticks))
        else:
            from cutover.console.commands.console import open_console

            open_console(context)
    except KeyboardInterrupt:
        echo("\nlab stopped", err=True)
    finally:
        lab.stop()


async def _prepare(session: Session, count: int) -> list[str]:
    clock = SystemClock()
    built = build_providers(session.settings, session.store, clock, actor=session.actor)
    try:
        return await prepare_ready(built.providers, session.tenants, session.tenants.find()[:count], clock)
    finally:
        await built.providers.aclose()


async def _headless(context: Context, interval: float, ticks: int | None) -> None:
    session = context.session()
    clock = SystemClock()
    built = build_providers(session.settings, session.store, clock, actor=session.actor)
    try:
        shown = 0
        while ticks is None or shown < ticks:
            summary = await summarise(built.providers, session.tenants.find(), clock.now())
            echo(render(summary))
            shown += 1
            if ticks is None or shown < ticks:
                await asyncio.sleep(interval)
    finally:
        await built.providers.aclose()
        session.close()


def render(summary: FleetSummary) -> str:
    when = time.strftime("%H:%M:%S", time.localtime(summary.at))
    return "\n".join([f"-- lab {when} -- {summary.tenants:,} tenants", *summary_lines(summary, waves_and_flight=False)])
