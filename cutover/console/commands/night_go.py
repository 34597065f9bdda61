"""`cutover go` / `no-go`: the night's go/no-go, item by item, signed by the operator (and host) with a reason;
`cutover go --status [--json]` shows tonight's checklist."""

from __future__ import annotations

import json

import click

from cutover.actions.plan.go_no_go import NightDecision
from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import BadRequest
from cutover.config.units import format_clock
from cutover.console.commands.acting import open_session
from cutover.console.commands.common import Context, user_errors
from cutover.console.commands.common import echo as out
from cutover.state.signoffs import GO, NO_GO


def status_lines(night: NightDecision, zone) -> list[str]:
    """ "night of 2026-03-07: GO 4/5: waiting for dba", then one line per item."""
    if not night.configured:
        return [f"night of {night.night}: no go/no-go checklist is configured ([night.go_no_go]): no night-level gate"]
    lines = [f"night of {night.night}: {night.header()}"]
    width = max(len(i.item) for i in night.items)
    roles = max(len(i.role) for i in night.items)
    for item in night.items:
        line = f"  {item.item:<{width}}  {item.role:<{roles}}  {item.state:<7}"
        if item.signoff is not None:
            s = item.signoff
            line += f"  {s.operator}@{s.host} {format_clock(s.signed_at, zone)}: {s.reason}"
        lines.append(line.rstrip())
    return lines


def _sign(obj: Context, decision: str, item: str | None, reason: str) -> None:
    if not item:
        raise BadRequest(f"name the checklist item: cutover {decision} --item ITEM --reason R")
    session = open_session(obj)
    try:
        night = Operations(session).sign_night(item, decision=decision, reason=reason)
        word = "GO" if decision == GO else "NO-GO"
        out(f"{word} signed by {session.actor}: {item} for the night of {night.night} ({reason.strip()})")
        out(night.header())
        if decision == NO_GO:
            out("the night's batches stop before their next DNS change; nothing moves to OCI until it is signed go")
    finally:
        session.close()


@click.command("go")
@click.option("--item", help="The checklist item you sign go ([night.go_no_go] items).")
@click.option("--reason", default="", help="Why: it goes in the audit trail with the sign-off.")
@click.option("--status", "show", is_flag=True, help="Show tonight's checklist and who signed what.")
@click.option("--json", "as_json", is_flag=True, help="With --status: machine-readable (see the README).")
@click.pass_obj
@user_errors
def go(obj: Context, item: str | None, reason: str, show: bool, as_json: bool) -> None:
    """Sign a go/no-go checklist item GO for tonight, or show the checklist (--status)."""
    if show and item:
        raise BadRequest("--status shows the checklist and --item signs an item: give one of them, not both")
    if as_json and not show:
        raise BadRequest("--json goes with --status (a sign-off prints what it recorded)")
    if not show:
        _sign(obj, GO, item, reason)
        return
    session = open_session(obj, read_only=True)
    try:
        night = Operations(session).night()
        if as_json:
            out(json.dumps(night.to_json(), indent=2))
        else:
            for line in status_lines(night, session.settings.safety.window.zone):
                out(line)
    finally:
        session.close()


@click.command("no-go")
@click.option("--item", help="The checklist item you sign no-go ([night.go_no_go] items).")
@click.option("--reason", default="", help="Why: shown in the header and the stopped line, and audited.")
@click.pass_obj
@user_errors
def no_go(obj: Context, item: str | None, reason: str) -> None:
    """Sign a checklist item NO-GO for tonight: the night's batches stop before their next DNS change."""
    _sign(obj, NO_GO, item, reason)
