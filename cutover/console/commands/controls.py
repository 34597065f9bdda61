"""The commands that steer a job or sign a tenant off: `cutover pause|resume|abort|skip|step-back JOB` and
`cutover approve TENANT...` (the second operator's approval)."""

from __future__ import annotations

import json

import click

from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import BadRequest
from cutover.console.commands.acting import (
    break_glass_overrides,
    open_session,
    resolve_ids,
)
from cutover.console.commands.common import Context, user_errors
from cutover.console.commands.common import echo as out
from cutover.console.commands.job_text import job_summary_json


def _control(verb: str) -> click.Command:
    @click.command(name=verb.replace("_", "-"))
    @click.argument("job_id", metavar="JOB")
    @click.option("--reason", default="", help="Why: it goes in the audit trail.")
    @click.option("--json", "as_json", is_flag=True, help="A machine-readable result on stdout (see the README).")
    @click.option(
        "--break-glass",
        "break_glass",
        multiple=True,
        metavar="RULE=REASON",
        hidden=verb != "resume",
        help="Resume past a safety rule that still refuses the batch's next group (audited).",
    )
    @click.pass_obj
    @user_errors
    def command(obj: Context, job_id: str, reason: str, as_json: bool, break_glass: tuple[str, ...]) -> None:
        session = open_session(obj)
        try:
            ops = Operations(session)
            if break_glass and verb != "resume":
                raise BadRequest(f"--break-glass goes with resume, not {verb}")
            if verb == "resume":
                job = ops.resume(job_id, reason=reason, overrides=break_glass_overrides(break_glass))
            else:
                job = getattr(ops, verb)(job_id, reason=reason)
            leader = ops.leader()
            if as_json:
                out(
                    json.dumps(
                        {
                            "schema": "cutover.control/1",
                            "control": verb,
                            "job": job_summary_json(job),
                            "engine_leads": leader is not None,
                        },
                        indent=2,
                        default=str,
                    )
                )
            elif job.is_terminal:
                out(f"{job.job_id}: {job.state.value} ({job.result})")
            else:
                when = (
                    "the engine applies it within a second"
                    if leader
                    else "no engine leads: it applies when one runs (cutover engine)"
                )
                out(f"{verb.replace('_', ' ')} requested for {job.job_id}; {when}")
        finally:
            session.close()

    command.help = {
        "pause": "Pause a batch or ramp: no new group or stage starts; triggers stay armed.",
        "resume": "Resume a paused or held batch or ramp (a held one after a look at why it stopped).",
        "abort": "Abort: a batch starts no new group (tenants past DNS finish monitoring); a ramp rolls back.",
        "skip": "A ramp: end the current stage's hold and go to the next stage now.",
        "step_back": "A ramp: go back to the stage below (one DNS change) and wait there for a resume.",
    }[verb]
    return command


pause, resume, abort, skip, step_back = (_control(verb) for verb in ("pause", "resume", "abort", "skip", "step_back"))


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--reason", default="", help="Why: it goes in the audit trail.")
@click.pass_obj
@user_errors
def approve(obj: Context, tenants: tuple[str, ...], reason: str) -> None:
    """Approve tenants' cutover as the second operator (enterprise tier needs it)."""
    session = open_session(obj)
    try:
        tenants = resolve_ids(session, tenants)
        Operations(session).approve(list(tenants), reason=reason)
        operator = session.actor.operator
        out(f"approved by {operator}: {', '.join(tenants)}")
        safety = session.settings.safety
        found = [session.tenants.get(tenant_id) for tenant_id in tenants]
        needed = [t.tenant_id for t in found if t.tier == "enterprise" and safety.enterprise_needs_second_operator]
        not_needed = [t.tenant_id for t in found if t.tenant_id not in needed]
        if not_needed:
            out(
                f"warning: {', '.join(not_needed)} need{'s' if len(not_needed) == 1 else ''} no second operator's "
                "approval (only the enterprise tier does); recorded anyway",
                err=True,
            )
        if needed:
            out(
                f"warning: this approval counts only for a cutover someone other than {operator} runs: "
                f"{operator} still cannot cut over {', '.join(needed)} alone",
                err=True,
            )
    finally:
        session.close()
