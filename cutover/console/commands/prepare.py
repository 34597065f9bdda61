"""The commands around the move: `cutover sync` (start, --final, --verify) and `validate` before it,
`decommission` after its watch (the point of no return)."""

from __future__ import annotations

import click

from cutover.actions.plan.decommission_rules import POINT_OF_NO_RETURN
from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import BadRequest, Refused
from cutover.console.commands.acting import (
    break_glass_overrides,
    confirm,
    follow_to_the_end,
    open_session,
    resolve_ids,
    submit_and_follow,
)
from cutover.console.commands.common import Context, user_errors
from cutover.console.commands.common import echo as out


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--final", is_flag=True, help="A final sync, then a verification proving lag 0.")
@click.option("--verify", is_flag=True, help="Only the verification proving lag 0.")
@click.option("--reason", default="", help="Why: it goes in the audit trail with the action.")
@click.option("--json", "as_json", is_flag=True, help="A machine-readable result on stdout (see the README).")
@click.pass_obj
@user_errors
def sync(obj: Context, tenants: tuple[str, ...], final: bool, verify: bool, reason: str, as_json: bool) -> None:
    """Start continuous sync (pending -> syncing), or with --final / --verify prove lag 0."""
    if final and verify:
        raise click.UsageError(
            "--final and --verify cannot go together: --final already ends with the verification; give one of them"
        )
    mode = "final" if final else "verify" if verify else "start"
    submit_and_follow(obj, f"sync {mode}", reason, as_json, lambda ops: ops.sync(tenants, mode=mode, reason=reason))


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--reason", default="", help="Why: it goes in the audit trail with the action.")
@click.option("--json", "as_json", is_flag=True, help="A machine-readable result on stdout (see the README).")
@click.pass_obj
@user_errors
def validate(obj: Context, tenants: tuple[str, ...], reason: str, as_json: bool) -> None:
    """Run the validation suite; every check passing moves a validating tenant to ready."""
    submit_and_follow(obj, "validate", reason, as_json, lambda ops: ops.validate(tenants, reason=reason))


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--reason", default="", help="Why: it goes in the audit trail with the action.")
@click.option("--yes", is_flag=True, help="Confirm without typing the phrase (for scripts).")
@click.option(
    "--break-glass",
    "break_glass",
    multiple=True,
    metavar="RULE=REASON",
    help="Override a rule (watch, open-fault, enterprise-approval), with the reason (recorded in the audit trail).",
)
@click.option("--json", "as_json", is_flag=True, help="A machine-readable result on stdout (see the README).")
@click.pass_obj
@user_errors
def decommission(
    obj: Context, tenants: tuple[str, ...], reason: str, yes: bool, break_glass: tuple[str, ...], as_json: bool
) -> None:
    """Decommission migrated tenants after their watch: the point of no return (no rollback after it)."""
    session = open_session(obj)
    try:
        ids = resolve_ids(session, tenants)
        ops = Operations(session)
        overrides = break_glass_overrides(break_glass)
        ops.check_decommission_overrides(overrides)
        if not reason.strip():
            raise BadRequest("give a reason with --reason: it goes in the audit trail with the action")
        problems = ops.decommission_refusals(list(ids), overrides)
        if problems:
            raise Refused("; ".join(r.text() for r in problems))
        if not yes:
            out(f"{', '.join(ids)}: {POINT_OF_NO_RETURN}", err=True)
        phrase = confirm(ops.decommission_phrase(list(ids)), yes)
        job = ops.decommission(list(ids), reason=reason, confirmation=phrase, overrides=overrides)
        follow_to_the_end(session, job, reason, as_json, action="decommission")
    finally:
        session.close()
