"""`cutover jobs [JOB]` (the jobs, or one job's every step) and `cutover engine [--until-idle]`."""

from __future__ import annotations

import asyncio
import json
import sys

import click

from cutover.actions.plan.batch_schedule import job_times, schedule_lines, zone_of
from cutover.actions.plan.operations import Operations
from cutover.actions.reports.batch_record import group_result, later_rollbacks
from cutover.actions.reports.follow import run_engine_until_idle
from cutover.config.units import format_clock, format_duration
from cutover.console.commands.acting import (
    open_session,
)
from cutover.console.commands.common import Context, user_errors
from cutover.console.commands.common import echo as out
from cutover.console.commands.job_text import job_json, job_line, job_summary_json, print_jobs
from cutover.model.jobs import JobKind, StepState


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
        room = session.settings.war_room.room()
        whose = f" of {room.describe()}" if room.name else ""
        out(f"engine{whose}: {leader.describe() if leader else 'none leads'}")
        if leader is None:  # another war room's engine may keep this one's out: say which
            for other in ops.overlapping_leaders():
                out(f"  {other}")
        if not found:
            out("no active jobs" if active else "no jobs")
        elif sys.stdout.isatty():
            print_jobs(found)  # a table: job, state, tenants and who whole; result and reason wrapped
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
