"""How the action commands print a job: one line a job or a target, and the JSON of a job (times ISO 8601)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from cutover.actions.plan.batch_schedule import job_times
from cutover.actions.plan.operations import Operations
from cutover.actions.wiring.session import Session
from cutover.console.commands.output import iso, make_console
from cutover.console.plain import plain
from cutover.model.jobs import JobKind, JobState, TargetState
from cutover.state.job_records import Job, JobTarget

VERBS = {"flip": "cutover", "batch": "cutover", "ramp": "ramp", "rollback": "rollback"}
WORDS = {
    TargetState.SUCCEEDED: "SUCCESS",
    TargetState.FAILED: "FAILED",
    TargetState.ROLLED_BACK: "ROLLED BACK",
    TargetState.PREEMPTED: "ROLLED BACK",
    TargetState.REFUSED: "REFUSED",
    TargetState.ABORTED: "ABORTED",
}


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


def job_summary_json(job: Job) -> dict[str, Any]:
    """A job without its targets' steps, its times ISO 8601 like every other JSON time."""
    data = job.to_json()
    for key in ("created_at", "started_at", "ended_at"):
        data[key] = iso(data[key])
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
                "started_at": iso(target.started_at),
                "ended_at": iso(target.ended_at),
                "steps": [
                    {
                        "name": step.name,
                        "state": step.state.value,
                        "started_at": iso(step.started_at),
                        "ended_at": iso(step.ended_at),
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
                {**t.to_json(), "start": iso(t.start), "dns": iso(t.switch), "end": iso(t.end)} for t in times.groups
            ],
        }
    data["steps"] = [
        {
            "name": s.name,
            "state": s.state.value,
            "result": s.result,
            "started_at": iso(s.started_at),
            "ended_at": iso(s.ended_at),
        }
        for s in ops_jobs.steps(job.job_id)
    ]
    return data


def print_jobs(jobs: list[Any]) -> None:
    """The jobs list in a terminal: job, state, tenants and who whole; what came of it and why wrapped."""
    console = make_console()
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("JOB", "STATE", "TENANTS", "WHO"):
        table.add_column(column, no_wrap=True)
    table.add_column("RESULT", overflow="fold", ratio=1)
    table.add_column("WHY", overflow="fold", ratio=1)
    for job in jobs:
        result = job.held_reason if job.held_reason and job.state.value in ("held", "paused") else job.result
        table.add_row(
            plain(job.job_id),
            plain(job.state.value),
            str(len(job.targets)),
            plain(job.operator),
            plain(result or ""),
            plain(job.reason),
        )
    console.print(table)
