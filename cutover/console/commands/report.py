"""`cutover report TENANT` (the compliance report) and `cutover report night [DATE]` (a night's summary)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from cutover.actions.reports.make import night_report, tenant_report
from cutover.actions.reports.night import BadNight, parse_night
from cutover.actions.reports.render import FORMATS, Format
from cutover.console.commands.common import EXIT_USAGE, Context, echo, fail, user_errors
from cutover.state.tenants import UnknownTenant

NIGHT = "night"


@click.command(
    "report",
    help="Write TENANT's compliance report (every action with who, when and why; gate evidence; checksums; "
    "AWS and OCI side by side; downtime; DNS change ids; approvals and overrides; the watch; the decommission; "
    "the audit chain's head), or with `night [YYYY-MM-DD]` a migration night's report (tenants moved, "
    "rollbacks against the 3-minute target, holds and who resumed them, who was on).",
)
@click.argument("target", metavar="TENANT|night")
@click.argument("day", required=False, metavar="[DATE]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="md (the default) or html; with -o FILE.html, html.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of the terminal."
)
@click.pass_obj
@user_errors
def report(obj: Context, target: str, day: str | None, fmt: Format | None, output: Path | None) -> None:
    # click.Choice(FORMATS) gives only "md" or "html"
    fmt = fmt or ("html" if output is not None and output.suffix.lower() in (".html", ".htm") else "md")
    if output is not None and not output.parent.is_dir():
        fail(f"{output}: the folder {output.parent} does not exist; nothing was written", EXIT_USAGE)
    session = obj.session(read_only=True)
    try:
        night = target == NIGHT and not _is_tenant(session, target)
        if not night and day is not None:
            fail(f"a DATE goes with `cutover report night DATE`, not with a tenant ({target})", EXIT_USAGE)
        if night:
            try:
                made, text = night_report(session, parse_night(day), fmt)
            except BadNight as exc:
                fail(str(exc), EXIT_USAGE)
            what = f"the night of {made.date}"
        else:
            made_tenant, text = tenant_report(session, target, fmt)
            what = f"{made_tenant.tenant_id}'s report (audit head: event {made_tenant.seal.head_seq})"
    finally:
        session.close()
    if output is None:
        click.echo(text, nl=False)
        return
    _write(output, text)
    echo(f"wrote {what} to {output}", err=True)


def _is_tenant(session, typed: str) -> bool:
    try:
        session.tenants.resolve_id(typed)
    except UnknownTenant:
        return False
    return True


def _write(path: Path, text: str) -> None:
    """All or nothing: a report cut short by a full disk is not left behind as if whole."""
    temporary = ""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
        fail(f"{path}: cannot write the report ({exc.strerror or exc}); nothing was written", EXIT_USAGE)
