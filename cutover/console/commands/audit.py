"""`cutover audit verify`: check the store file, then walk the audit trail's hash chain."""

from __future__ import annotations

import json
import sys

import click

from cutover.console.commands.common import EXIT_FAILED, Context, echo, user_errors
from cutover.state.events import verify_chain


@click.group()
def audit() -> None:
    """Check the audit trail."""


@audit.command(
    "verify",
    help="Run SQLite's integrity check and walk the hash chain; exit 1 and name the first bad row "
    "(or the damage, or the emptied or dropped trail) if anything is wrong.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
@user_errors
def audit_verify(obj: Context, as_json: bool) -> None:
    """Run SQLite's integrity check and walk the hash chain; exit 1 and name the first bad row
    (or the damage, or the emptied or dropped trail) if anything is wrong."""
    session = obj.session(read_only=True)
    try:
        report = verify_chain(session.store)
    finally:
        session.close()
    if as_json:
        echo(json.dumps({"schema": "cutover.audit/1", **report.__dict__}, indent=2))
    elif report.ok:
        echo(f"audit trail intact: {report.checked} events, head {report.head_hash}")
    elif report.integrity != ("ok",):
        echo(f"STORE DAMAGED: {report.problem}", err=True)
        for line in report.integrity:
            echo(f"  {line}", err=True)
    else:
        where = "" if report.problem_seq is None else f" at event {report.problem_seq}"
        echo(f"AUDIT TRAIL BROKEN{where}: {report.problem}", err=True)
    if not report.ok:
        sys.exit(EXIT_FAILED)
