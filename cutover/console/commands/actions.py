"""The headless action commands: the runbook's CLI for scripts and rehearsals, on the same engine.

    cutover gate TENANT...
    cutover flip TENANT...            cutover ramp TENANT... [--stages 10,25,50,75,100] [--hold 30m]
    cutover rollback TENANT... | --all-in-flight
    cutover batch (--wave N | TENANT... | --count N) [--count 25] [--group 5] [--every 15m] [--monitor 10m]
    cutover pause|resume|abort|skip|step-back JOB   cutover approve TENANT...
    cutover jobs [JOB]                          cutover engine [--until-idle]

Actions take --reason (it goes in the audit trail), --dry-run (rehearse: compute the
DNS change sets, gates and safety, change nothing, record a rehearsal), --yes in
place of the console's confirmation (with neither --yes nor a terminal to ask on,
they refuse) and --break-glass RULE=REASON to override a safety rule. They submit
a job to the store; when no engine leads, the command runs one until its job ends,
printing each tenant's outcome as it comes.

Exit codes: 0 done, 1 failed or rolled back, 2 bad input, 3 refused by a gate, a
safety rule or a lock.
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
from cutover.actions.plan.batch_schedule import job_times, schedule_lines, stored_times, zone_of
from cutover.actions.plan.decommission_rules import POINT_OF_NO_RETURN
from cutover.actions.plan.gate import GateVerdict, remedy_sentence
from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import BadRequest, PlanRequest, Refused
from cutover.actions.reports.batch_record import group_result, later_rollbacks
from cutover.actions.reports.follow import Followed, Progress, follow, run_engine_until_idle
from cutover.actions.wiring.composition import all_simulated, has_world, using_providers, world_clock
from cutover.actions.wiring.session import Session
from cutover.config.units import format_clock, format_duration, parse_duration
from cutover.console import render
from cutover.console.acting import way_back_lines
from cutover.console.commands.common import EXIT_FAILED, EXIT_OK, EXIT_REFUSED, Context, user_errors
from cutover.console.commands.common import echo as out
from cutover.model.jobs import JobKind, JobState, StepState, TargetState
from cutover.state.job_records import Job, JobTarget
from cutover.state.store import StoreError

F = TypeVar("F", bound=Callable[..., Any])

VERBS = {"flip": "cutover", "batch": "cutover", "ramp": "ramp", "rollback": "rollback"}
WORDS = {
    TargetState.SUCCEEDED: "SUCCESS",
    TargetState.FAILED: "FAILED",
    TargetState.ROLLED_BACK: "ROLLED BACK",
    TargetState.PREEMPTED: "ROLLED BACK",
    TargetState.REFUSED: "REFUSED",
    TargetState.ABORTED: "ABORTED",
}


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


def _overrides(values: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for value in values:
        rule, sep, reason = value.partition("=")
        if not sep or not rule.strip() or not reason.strip():
            raise BadRequest(f"--break-glass {value!r}: write RULE=REASON, e.g. max-cutting-over='vendor window'")
        found[rule.strip()] = reason.strip()
    return found


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


# --- printing -------------------------------------------------------------------------------------


def target_line(job: Job, target: JobTarget) -> str:
    verb = VERBS.get(job.kind, job.kind)
    summary = target.summary or target.state.value
    return f"[{target.tenant_id}] {verb}: {summary}: {WORDS.get(target.state, target.state.value.upper())}"


def job_line(job: Job) -> str:
    text = f"{job.job_id}: {job.state.value}"
    if job.held_reason and job.state in (JobState.HELD, JobState.PAUSED):
        text += f": {job.held_reason}"
    elif job.result and job.is_terminal:
        text += f": {job.result}"
    return text


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


def job_summary_json(job: Job) -> dict[str, Any]:
    """A job without its targets' steps, its times ISO 8601 like every other JSON time."""
    data = job.to_json()
    for key in ("created_at", "started_at", "ended_at"):
        data[key] = render.iso(data[key])
    return data


def job_json(session: Session, job: Job) -> dict[str, Any]:
    ops_jobs = Operations(session).jobs
    targets = []
    for target in ops_jobs.targets(job.job_id):
        targets.append(
            {
                "tenant": target.tenant_id,
                "group": target.group_no,
                "state": target.state.value,
                "summary": target.summary,
                "detail": target.detail,
                "started_at": render.iso(target.started_at),
                "ended_at": render.iso(target.ended_at),
                "steps": [
                    {
                        "name": step.name,
                        "state": step.state.value,
                        "started_at": render.iso(step.started_at),
                        "ended_at": render.iso(step.ended_at),
                        "duration_s": step.duration_s,
                        "result": step.result,
                        "request_ids": list(step.request_ids),
                    }
                    for step in ops_jobs.steps(job.job_id, target.tenant_id)
                ],
            }
        )
    data = job_summary_json(job)
    data["targets"] = targets
    if job.kind == JobKind.BATCH:
        times = job_times(Operations(session).read.job(job.job_id), session.clock.now())
        data["schedule"] = {
            "status": times.status,
            "next_group": times.next_group,
            "groups": [
                {**t.to_json(), "start": render.iso(t.start), "dns": render.iso(t.switch), "end": render.iso(t.end)}
                for t in times.groups
            ],
        }
    data["steps"] = [
        {
            "name": s.name,
            "state": s.state.value,
            "result": s.result,
            "started_at": render.iso(s.started_at),
            "ended_at": render.iso(s.ended_at),
        }
        for s in ops_jobs.steps(job.job_id)
    ]
    return data


def exit_code(followed: Followed) -> int:
    """0 done; 3 refused before any change; 1 anything else: failed, rolled back, or held for a human."""
    job = followed.job
    if job.state is JobState.SUCCEEDED:
        return EXIT_OK
    if job.state is JobState.REFUSED:
        return EXIT_REFUSED
    return EXIT_FAILED


# --- the actions ---------------------------------------------------------------------------------------


async def _observed(session: Any) -> list[str]:
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
) -> None:
    echo = _echo(as_json)
    session = open_session(obj)
    try:
        request = replace(
            request.with_overrides(_overrides(break_glass)), tenant_ids=resolve_ids(session, request.tenant_ids)
        )
        ops = Operations(session)
        if ops.leader() is None and request.kind != JobKind.ROLLBACK:
            # Nobody polls the fleet: look at it now, so the gate judges fresh evidence. Not for a rollback:
            # no gate judges it, and its DNS change must not wait for a look at the whole fleet.
            for failure in asyncio.run(_observed(session)):
                out(f"could not observe {failure}; the gate judges what the store had", err=True)
        plan = ops.plan(request)
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
                rehearsed = {**plan.to_json(), "change_sets": [c.to_json() for c in rehearsal.change_sets]}
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
                echo_action(plan.kind, plan.to_json(), EXIT_REFUSED)
            for problem in plan.problems:
                out(f"refused: {problem}", err=True)
            out("nothing was changed", err=True)
            sys.exit(EXIT_REFUSED)
        if ask_reason:
            reason = ask_for_reason(CLI_ROLLBACK_REASON)
        confirmation = confirm(plan.confirm_phrase, yes)
        job = ops.submit(plan, reason=reason, confirmation=confirmation)
        follow_to_the_end(session, job, reason, as_json, action=plan.kind, plan_json=plan.to_json())
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


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@action_options
@click.pass_obj
@user_errors
def flip(obj: Context, tenants: tuple[str, ...], **options: Any) -> None:
    """Cut tenants over to OCI: final sync, gate, DNS, traffic, monitoring, migrated."""
    run_action(obj, PlanRequest.flip(tenants), **options)


def _stages(value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    try:
        return tuple(int(part.strip().rstrip("%")) for part in value.split(",") if part.strip())
    except ValueError:
        raise BadRequest(f"--stages {value!r}: write percentages separated by commas, like 10,25,50,75,100") from None


def _duration(option: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise BadRequest(f"{option} {exc}") from None


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--stages", help="OCI weight of each stage in percent (default from the configuration: 10,25,50,75,100).")
@click.option("--hold", help="Time at each stage before the next, e.g. 30m (default from the configuration).")
@action_options
@click.pass_obj
@user_errors
def ramp(obj: Context, tenants: tuple[str, ...], stages: str | None, hold: str | None, **options: Any) -> None:
    """Move traffic to OCI in weighted stages, checking error rate and p95 at each."""
    run_action(obj, PlanRequest.ramp(tenants, stages=_stages(stages), hold=_duration("--hold", hold)), **options)


@click.command()
@click.argument("tenants", nargs=-1)
@click.option("--all-in-flight", is_flag=True, help="Every tenant cutting over or in monitoring.")
@action_options
@click.pass_obj
@user_errors
def rollback(obj: Context, tenants: tuple[str, ...], all_in_flight: bool, **options: Any) -> None:
    """Put tenants back on AWS (one change set per hosted zone); the recovery time is recorded."""
    if not tenants and not all_in_flight:
        raise BadRequest("name the tenants to roll back, or --all-in-flight")
    run_action(obj, PlanRequest.rollback(tenants, all_in_flight=all_in_flight), **options)


@click.command()
@click.argument("tenants", nargs=-1)
@click.option("--wave", type=click.IntRange(0, 99), help="Take the batch from this wave's ready tenants.")
@click.option("--count", type=click.IntRange(1), help="Tenants in the batch (default 25).")
@click.option("--group", "group_size", type=click.IntRange(1), help="Tenants cut over together (default 5).")
@click.option("--every", help="Time between the starts of two groups, e.g. 15m (default 15m).")
@click.option("--monitor", help="Monitoring window of each tenant, e.g. 10m (default 10m).")
@click.option("--window", help='The window agreed with the customer, tenant-local "HH:MM-HH:MM" (a coordinated wave).')
@action_options
@click.pass_obj
@user_errors
def batch(
    obj: Context,
    tenants: tuple[str, ...],
    wave: int | None,
    count: int | None,
    group_size: int | None,
    every: str | None,
    monitor: str | None,
    window: str | None,
    **options: Any,
) -> None:
    """A night's batch: groups of G every I, each monitored M; stops the line on a rollback.

    Take it from a wave (--wave N), from named tenants, or the next --count ready tenants.
    """
    if count is not None and group_size is not None and group_size > count:
        raise click.UsageError(
            f"--group {group_size} is larger than --count {count}: a group is part of the batch; "
            "make --group at most --count"
        )
    request = PlanRequest.batch(
        tenants,
        wave=wave,
        count=count,
        group_size=group_size,
        interval=_duration("--every", every),
        monitor=_duration("--monitor", monitor),
        window=window,
    )
    run_action(obj, request, **options)


# --- the gate --------------------------------------------------------------------------------------


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--no-refresh", is_flag=True, help="Judge what the store has; do not poll when no engine leads.")
@click.option("--json", "as_json", is_flag=True, help="A machine-readable result on stdout (see the README).")
@click.pass_obj
@user_errors
def gate(obj: Context, tenants: tuple[str, ...], no_refresh: bool, as_json: bool) -> None:
    """The decision gate: every check, its evidence and age; ELIGIBLE (exit 0), BLOCKED or UNKNOWN (exit 3)."""
    session = open_session(obj)
    try:
        ops = Operations(session)
        tenants = resolve_ids(session, tenants)
        observed_now = False
        if not no_refresh and ops.leader() is None:
            unobserved = asyncio.run(_observed(session))
            observed_now = True
            for failure in unobserved:
                out(f"could not observe {failure}; the gate judges what the store had", err=True)
        results = ops.gate(list(tenants))
        passed = all(result.passed for result in results)
        eligible = all(result.verdict is GateVerdict.ELIGIBLE for result in results)
        if as_json:
            out(
                json.dumps(
                    {
                        "schema": "cutover.gate/1",
                        "passed": passed,
                        "eligible": eligible,
                        "observed_now": observed_now,
                        "tenants": [result.to_json() for result in results],
                    },
                    indent=2,
                    default=str,
                )
            )
        else:
            if observed_now:
                out("no engine leads: observed sync, backends, DNS and metrics just now")
            for result in results:
                out(f"{result.tenant_id}: {result.verdict.value.upper()} ({result.summary()})")
                for check in result.checks:
                    mark = "ok " if not check.blocking else "-- "
                    remedy = (
                        f"  [the cutover {remedy_sentence([check.remedy])}]" if check.blocking and check.remedy else ""
                    )
                    out(f"  {mark}{check.name:<10} {check.result.value:<8} {check.evidence_with_age()}{remedy}")
        sys.exit(EXIT_OK if eligible else EXIT_REFUSED)
    finally:
        session.close()


# --- controlling jobs ---------------------------------------------------------------------------------


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
                job = ops.resume(job_id, reason=reason, overrides=_overrides(break_glass))
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


@click.command()
@click.argument("job_id", metavar="[JOB]", required=False)
@click.option("--active", is_flag=True, help="Only jobs that have not ended.")
@click.option("--json", "as_json", is_flag=True, help="A machine-readable result on stdout (see the README).")
@click.pass_obj
@user_errors
def jobs(obj: Context, job_id: str | None, active: bool, as_json: bool) -> None:
    """List jobs, or show one job: each tenant's outcome and every step with its time."""
    session = open_session(obj, read_only=True)
    try:
        ops = Operations(session)
        if job_id:
            job = ops.jobs.get(job_id)
            if as_json:
                out(json.dumps({"schema": "cutover.job/1", "job": job_json(session, job)}, indent=2, default=str))
                return
            out(f"{job_line(job)}  ({job.kind} by {job.operator}: {job.reason})")
            later: dict = {}
            view = ops.read.job(job.job_id)
            if job.kind == JobKind.BATCH:
                later = later_rollbacks(view, ops.jobs)
                times = job_times(view, session.clock.now())
                out(f"  {times.status}")
                for line in schedule_lines(
                    times.groups, job.params.get("groups", []), session.clock.now(), zone_of(job.params)
                ):
                    out(f"  {line}")
            for step in ops.jobs.steps(job.job_id):
                if job.kind == JobKind.BATCH and step.name.startswith("group ") and step.state is StepState.DONE:
                    # As it is now: a tenant rolled back after its group ended is not "migrated".
                    out(f"  {step.name}: {group_result(view, int(step.name.split()[1]), later)}")
                else:
                    out(f"  {step.name}: {step.state.value} {step.result}")
            for rollback in later.values():
                at = format_clock(rollback.at, zone_of(job.params))
                out(f"  group {rollback.group}: {rollback.tenant_id} rolled back later by {rollback.job_id} at {at}:")
                out(f"    {rollback.why}")
            for target in ops.jobs.targets(job.job_id):
                out(f"  [{target.tenant_id}] {target.state.value}: {target.summary}")
                for step in ops.jobs.steps(job.job_id, target.tenant_id):
                    took = f" ({format_duration(step.duration_s)})" if step.duration_s is not None else ""
                    ids = f" [{', '.join(step.request_ids)}]" if step.request_ids else ""
                    out(f"      {step.name:<12} {step.state.value:<8}{took} {step.result}{ids}")
            return
        found = ops.jobs.active() if active else ops.jobs.find(limit=50)
        if as_json:
            out(
                json.dumps(
                    {"schema": "cutover.jobs/1", "jobs": [job_summary_json(j) for j in found]}, indent=2, default=str
                )
            )
            return
        leader = ops.leader()
        out(f"engine: {leader.describe() if leader else 'none leads'}")
        if not found:
            out("no active jobs" if active else "no jobs")
        elif sys.stdout.isatty():
            render.print_jobs(found)  # a table: job, state, tenants and who whole; result and reason wrapped
        else:  # piped: one whole line a job
            for job in found:
                out(f"  {job_line(job)}  ({len(job.targets)} tenant(s), {job.operator}: {job.reason})")
    finally:
        session.close()


@click.command()
@click.option("--until-idle", is_flag=True, help="Stop once no job is queued, running, paused or held.")
@click.pass_obj
@user_errors
def engine(obj: Context, until_idle: bool) -> None:
    """Run the engine in the foreground: lead the war room (or wait to), run and resume jobs."""
    session = open_session(obj)
    try:
        asyncio.run(
            run_engine_until_idle(session, until_idle=until_idle, on_status=lambda text: out(f"engine: {text}"))
        )
    except KeyboardInterrupt:
        out("\nengine stopped; the lease is handed over", err=True)
    finally:
        session.close()


# --- getting tenants ready ----------------------------------------------------------------------------


def _prepare(obj: Context, action: str, reason: str, as_json: bool, submit: Callable[[Operations], Job]) -> None:
    session = open_session(obj)
    try:
        job = submit(Operations(session))
        follow_to_the_end(session, job, reason, as_json, action=action)
    finally:
        session.close()


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
    _prepare(obj, f"sync {mode}", reason, as_json, lambda ops: ops.sync(tenants, mode=mode, reason=reason))


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--reason", default="", help="Why: it goes in the audit trail with the action.")
@click.option("--json", "as_json", is_flag=True, help="A machine-readable result on stdout (see the README).")
@click.pass_obj
@user_errors
def validate(obj: Context, tenants: tuple[str, ...], reason: str, as_json: bool) -> None:
    """Run the validation suite; every check passing moves a validating tenant to ready."""
    _prepare(obj, "validate", reason, as_json, lambda ops: ops.validate(tenants, reason=reason))


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
        overrides = _overrides(break_glass)
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


COMMANDS = (
    gate,
    flip,
    ramp,
    rollback,
    batch,
    sync,
    validate,
    pause,
    resume,
    abort,
    skip,
    step_back,
    approve,
    decommission,
    jobs,
    engine,
)
