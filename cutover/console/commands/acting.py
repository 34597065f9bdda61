"""What the headless action commands share: the session on the fleet's clock, the options every action
takes, the plan printed, the confirmation, and the job followed to its end.

Actions take --reason (it goes in the audit trail), --dry-run (rehearse: compute the
DNS change sets, gates and safety, change nothing, record a rehearsal), --yes in
place of the console's confirmation (with neither --yes nor a terminal to ask on,
they refuse) and --break-glass RULE=REASON to override a safety rule. They submit
a job to the store; when no engine leads, the command runs one until its job ends,
printing each tenant's outcome as it comes.

`run_action` and the helpers that plan, print and confirm stay together here: the whole of what an action
command does between the options and the job, in one place.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, NoReturn, TypeVar

import click

from cutover.actions.engine.observe import observe_now
from cutover.actions.plan.acting import act_on_tenants
from cutover.actions.plan.batch_schedule import schedule_lines, stored_times, zone_of
from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import BadRequest, PlanRequest, Refused, TenantRefusal
from cutover.actions.reports.follow import Followed, Progress, follow
from cutover.actions.wiring.composition import all_simulated, has_world, using_providers, world_clock
from cutover.actions.wiring.session import Session
from cutover.config.units import format_duration
from cutover.console.commands.common import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, Context
from cutover.console.commands.common import echo as out
from cutover.console.commands.job_text import job_json, job_line, target_line
from cutover.console.controller.planning import way_back_lines
from cutover.model.jobs import JobKind, JobState
from cutover.state.job_records import Job
from cutover.state.store import StoreError

F = TypeVar("F", bound=Callable[..., Any])


def open_session(obj: Context, *, read_only: bool = False) -> Session:
    """The session on the fleet's clock: the simulated world's time when every provider is simulated.

    `read_only`: the store opened read-only, on the world's clock as the store holds it (nothing opened)."""
    settings = obj.config.settings
    simulated = all_simulated(settings)
    if read_only:
        return obj.session(read_only=True)
    session = obj.session(create=False)  # only demo, lab and import make a store
    if simulated and not session.tenants.count() and not has_world(session.store):
        session.close()
        raise StoreError(
            f"{settings.state.path}: holds no tenants and no simulated world: open the simulated fleet with "
            "cutover demo (or cutover), or import your matrix with cutover import FILE.csv"
        )
    if simulated:
        session.clock = session.events.clock = world_clock(settings, session.store, actor=session.actor)
    return session


def resolve_ids(session: Session, typed: Sequence[str]) -> tuple[str, ...]:
    """The stored IDs for what was typed: "t-0008" is T-0008 (when only one ID matches ignoring case)."""
    return tuple(session.tenants.resolve_id(tenant_id) for tenant_id in typed)


def _echo(as_json: bool) -> Callable[[str], None]:
    """Progress goes to stdout, or to stderr when stdout carries the JSON document."""
    return lambda text: out(text, err=as_json)


def break_glass_overrides(values: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for value in values:
        rule, sep, reason = value.partition("=")
        if not sep or not rule.strip() or not reason.strip():
            raise BadRequest(f"--break-glass {value!r}: write RULE=REASON, e.g. max-cutting-over='vendor window'")
        found[rule.strip()] = reason.strip()
    return found


skip_refused_option = click.option(
    "--skip-refused",
    is_flag=True,
    help="Act on the tenants that may go and set aside (naming each, with its reason) those refused "
    "(held by another job, refused by the gate, nothing to roll back); without it one refused tenant refuses all.",
)


def action_options(func: F) -> F:
    for option in reversed(
        [
            click.option(
                "--reason",
                default="",
                help="Why: it goes in the audit trail with the action (a rollback in a terminal asks for it).",
            ),
            click.option(
                "--dry-run", is_flag=True, help="Rehearse: show the DNS changes, gates and safety; change nothing."
            ),
            click.option("--yes", is_flag=True, help="Confirm without asking (for scripts)."),
            click.option(
                "--break-glass",
                "break_glass",
                multiple=True,
                metavar="RULE=REASON",
                help="Override a safety rule, with the reason (recorded in the audit trail).",
            ),
            click.option(
                "--json", "as_json", is_flag=True, help="A machine-readable result on stdout (see the README)."
            ),
        ]
    ):
        func = option(func)
    return func


def print_plan(plan: Any, echo: Callable[[str], None]) -> None:
    echo(f"{plan.kind} of {len(plan.targets)} tenant{'s' if len(plan.targets) != 1 else ''}")
    if plan.kind == JobKind.BATCH:
        for line in schedule_lines(stored_times(plan.params), plan.groups, plan.planned_at, zone_of(plan.params)):
            echo(f"  {line}")
        echo(
            "  (times are expected: each group changes DNS only once the group before it has ended its "
            f"{format_duration(float(plan.params.get('monitor', 0)))} monitoring)"
        )
    for target in plan.targets:
        note = f"  ({target.note})" if target.note else ""
        echo(f"  {target.tenant_id}  {target.change.name}: {target.change.before} -> {target.change.after}{note}")
    for line in plan.exclusion_summary():
        echo(f"  excluded {line}")
    for note in plan.params.get("waits", ()):
        echo(f"  {note}")
    for refusal in plan.safety.overridden:
        echo(f"  break-glass {refusal.rule}: {refusal.message} (overridden: {refusal.overridden})")


def exit_code(followed: Followed) -> int:
    """0 done; 3 refused before any change; 1 anything else: failed, rolled back, or held for a human."""
    job = followed.job
    if job.state is JobState.SUCCEEDED:
        return EXIT_OK
    if job.state is JobState.REFUSED:
        return EXIT_REFUSED
    return EXIT_FAILED


async def observe_fleet(session: Any) -> list[str]:
    """One look at the fleet (see observe_now) on providers closed afterwards."""
    return await using_providers(
        session.settings, session.store, session.clock, lambda p: observe_now(session, p), actor=session.actor
    )


def run_action(
    obj: Context,
    request: PlanRequest,
    *,
    reason: str,
    dry_run: bool,
    yes: bool,
    as_json: bool,
    break_glass: tuple[str, ...],
    skip_refused: bool = False,
) -> None:
    echo = _echo(as_json)
    session = open_session(obj)
    try:
        request = replace(
            request.with_overrides(break_glass_overrides(break_glass)),
            tenant_ids=resolve_ids(session, request.tenant_ids),
        )
        ops = Operations(session)
        if ops.leader() is None and request.kind != JobKind.ROLLBACK:
            # Nobody polls the fleet: look at it now, so the gate judges fresh evidence. Not for a rollback:
            # no gate judges it, and its DNS change must not wait for a look at the whole fleet.
            for failure in asyncio.run(observe_fleet(session)):
                out(f"could not observe {failure}; the gate judges what the store had", err=True)
        acting = act_on_tenants(ops, request)
        plan = acting.asked
        set_aside: tuple[TenantRefusal, ...] = ()
        if skip_refused and acting.set_aside:
            # The operator asked to act on the rest: each tenant set aside is named with its reason.
            set_aside = acting.set_aside
            for refusal in set_aside:
                out(f"set aside: {refusal.tenant_id} {refusal.reason()}", err=True)
            if acting.plan is None:
                raise Refused("every tenant named is set aside: nothing to act on; nothing was changed")
            plan = acting.plan
        plan_json = {**plan.to_json(), "set_aside": [refusal.to_json() for refusal in set_aside]}
        if dry_run:
            rehearsal = asyncio.run(
                using_providers(
                    session.settings,
                    session.store,
                    session.clock,
                    lambda providers: Operations(session, providers=providers).dry_run(
                        plan, reason=reason or "rehearsal"
                    ),
                    actor=session.actor,
                )
            )
            code = EXIT_OK if plan.ok else EXIT_REFUSED
            if as_json:
                rehearsed = {**plan_json, "change_sets": [c.to_json() for c in rehearsal.change_sets]}
                echo_action(plan.kind, rehearsed, code, dry_run=True, dns_read_live=rehearsal.dns_read_live)
            else:
                print_plan(plan, echo)
                for change_set in rehearsal.change_sets:
                    echo(f"  change set for zone {change_set.zone}: {len(change_set.lines)} record(s)")
                for problem in plan.problems:
                    echo(f"  would be refused: {problem}")
                echo("dry run: nothing was changed; the rehearsal is recorded in the audit trail")
            sys.exit(code)
        # A rollback in an emergency is not refused for want of a reason: in a terminal it asks, pre-filled.
        ask_reason = not reason.strip() and request.kind == JobKind.ROLLBACK and not yes and sys.stdin.isatty()
        if not reason.strip() and not ask_reason:
            raise BadRequest("give --reason: it goes in the audit trail with the action")
        if not as_json:
            print_plan(plan, echo)
            if request.kind == JobKind.ROLLBACK:  # what it does to the data; it informs, never refuses
                for line in way_back_lines(ops, plan.tenant_ids):
                    echo(f"  {line}")
        if not plan.ok:
            if as_json:
                echo_action(plan.kind, plan_json, EXIT_REFUSED)
            for problem in plan.problems:
                out(f"refused: {problem}", err=True)
            out("nothing was changed", err=True)
            sys.exit(EXIT_REFUSED)
        if ask_reason:
            reason = ask_for_reason(CLI_ROLLBACK_REASON)
        confirmation = confirm(plan.confirm_phrase, yes)
        job = ops.submit(plan, reason=reason, confirmation=confirmation)
        follow_to_the_end(session, job, reason, as_json, action=plan.kind, plan_json=plan_json)
    finally:
        session.close()


def follow_to_the_end(
    session: Session, job: Job, reason: str, as_json: bool, *, action: str, plan_json: dict[str, Any] | None = None
) -> NoReturn:
    """Watch a submitted job to its end (running an engine when none leads), print it, exit with its code."""
    echo = _echo(as_json)
    echo(f"{job.job_id} submitted by {job.operator}: {reason}")
    try:
        followed = asyncio.run(follow(session, job.job_id, lambda p: show_progress(p, echo)))
    except KeyboardInterrupt:  # before the signal handlers were in place
        followed = None
    for waiting in followed.left_waiting if followed else ():
        if waiting.job_id != job.job_id:
            out(
                f"warning: {waiting.job_id} is {waiting.state.value} and no engine leads now: its triggers are "
                "not armed; run `cutover engine` (or open a console) to watch it",
                err=True,
            )
    if followed is not None and followed.store_gone:
        click.echo(
            f"error: {followed.store_gone}. What {job.job_id} did is recorded nowhere now: check DNS "
            "(cutover gate, or the DNS console) before acting again",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    if followed is not None and followed.lost_lease:
        click.echo(
            f"error: this process's engine lost the war room's lease while running {job.job_id}: "
            f"{followed.lost_lease}. It changed nothing after that; {job.job_id} is "
            f"{followed.job.state.value} and goes on under the engine that leads now (see `cutover jobs "
            f"{job.job_id}`)",
            err=True,
        )
        if as_json:
            echo_action(action, plan_json, EXIT_FAILED, job=job_json(session, followed.job))
        sys.exit(EXIT_FAILED)
    if followed is None or followed.interrupted:
        out(
            f"interrupted: {job.job_id} is not cancelled; it goes on when an engine leads "
            "(cutover engine, or a console)",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    if followed.job.state is JobState.HELD:
        out(
            f"held: {followed.job.held_reason}\n{job.job_id} waits: fix the cause and `cutover resume "
            f"{job.job_id}`, or `cutover rollback TENANT`",
            err=True,
        )
    code = exit_code(followed)
    if as_json:
        echo_action(
            action,
            plan_json,
            code,
            job=job_json(session, followed.job),
            related_jobs=[job_json(session, j) for j in followed.related],
        )
    sys.exit(code)


def echo_action(
    action: str,
    plan_json: dict[str, Any] | None,
    code: int,
    *,
    dry_run: bool = False,
    dns_read_live: bool | None = None,
    job: dict[str, Any] | None = None,
    related_jobs: list[dict[str, Any]] | None = None,
) -> None:
    """One `cutover.action/1` document, the same keys whether refused, rehearsed or run (see the README)."""
    problems = list(plan_json.get("problems", [])) if plan_json and not plan_json.get("ok", True) else []
    document = {
        "schema": "cutover.action/1",
        "action": action,
        "dry_run": dry_run,
        "exit_code": code,
        "refused": problems,
        "dns_read_live": dns_read_live,
        "plan": plan_json,
        "job": job,
        "related_jobs": related_jobs or [],
    }
    out(json.dumps(document, indent=2, default=str))


def show_progress(progress: Progress, echo: Callable[[str], None]) -> None:
    if progress.note:
        echo(progress.note)
    elif progress.target is not None:
        echo(target_line(progress.job, progress.target))
    else:
        echo(job_line(progress.job))


CLI_ROLLBACK_REASON = "rollback from the CLI"


def ask_for_reason(prefilled: str) -> str:
    """The reason, asked on the terminal (on stderr: stdout stays the result); Enter keeps the pre-filled one."""
    typed = click.prompt("reason (goes in the audit trail; Enter keeps it)", default=prefilled, err=True)
    return typed.strip() or prefilled


def confirm(phrase: str, yes: bool) -> str:
    if yes:
        return phrase
    if not sys.stdin.isatty():
        raise BadRequest(
            f"no terminal to confirm on: pass --yes (in a terminal you would type {phrase!r}); nothing was submitted"
        )
    typed = click.prompt(f"type {phrase!r} to go ahead", default="", show_default=False)
    if typed.strip() != phrase:
        raise BadRequest(f"not confirmed (typed {typed.strip()!r}, wanted {phrase!r}): nothing was submitted")
    return phrase


def submit_and_follow(
    obj: Context, action: str, reason: str, as_json: bool, submit: Callable[[Operations], Job]
) -> None:
    session = open_session(obj)
    try:
        job = submit(Operations(session))
        follow_to_the_end(session, job, reason, as_json, action=action)
    finally:
        session.close()
