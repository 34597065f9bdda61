"""`cutover audit verify`: check the store file, then walk the audit trail's hash chain."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cutover.console.commands.common import EXIT_FAILED, EXIT_USAGE, Context, echo, fail, user_errors
from cutover.state.chain import verify_chain


@click.group()
def audit() -> None:
    """Check the audit trail."""


@audit.command(
    "verify",
    help="Run SQLite's integrity check and walk the hash chain; exit 1 and name the first bad row "
    "(or the damage, or the emptied or dropped trail) if anything is wrong. With --report FILE, also prove "
    "that report (from `cutover report TENANT`) matches the store: its head hash is in the chain at its seq "
    "and the tenant's events up to it are the ones it states; exit 1 naming every difference.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--report",
    "report_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A report written by `cutover report TENANT` (md or html) to check against the store.",
)
@click.pass_obj
@user_errors
def audit_verify(obj: Context, as_json: bool, report_file: Path | None) -> None:
    """Run SQLite's integrity check and walk the hash chain; exit 1 and name the first bad row
    (or the damage, or the emptied or dropped trail) if anything is wrong."""
    if report_file is not None:
        _verify_report(obj, report_file, as_json)
        return
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


def _verify_report(obj: Context, path: Path, as_json: bool) -> None:
    from cutover.actions.reports.seal import BadReport, verify_report

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read the report ({exc}); give the file `cutover report` wrote", EXIT_USAGE)
    session = obj.session(read_only=True)
    try:
        check = verify_report(session.store, text, str(path))
    except BadReport as exc:
        fail(str(exc), EXIT_USAGE)
    finally:
        session.close()
    if as_json:
        echo(json.dumps({"schema": "cutover.audit.report/1", **check.__dict__}, indent=2))
    elif check.ok:
        echo(
            f"{path}: matches the store: {check.events} events of {check.tenant_id} up to event {check.head_seq}, "
            f"head {check.head_hash}"
        )
    else:
        echo(f"{path}: DOES NOT MATCH THE STORE ({check.tenant_id}, head event {check.head_seq}):", err=True)
        for problem in check.problems:
            echo(f"  {problem}", err=True)
    if not check.ok:
        sys.exit(EXIT_FAILED)
