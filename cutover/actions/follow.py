"""Following a job to its end from a headless command, running the engine when none leads.

The command's job sits in the store; if an engine leads (a console, `cutover
engine`), it runs it and this only watches. If none does, or the leader dies
while we watch, this process runs one in the foreground until its job (and any
rollback a trigger started for its tenants) has ended and no other job is queued
or running.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from dataclasses import dataclass

from cutover.actions.engine import Builder, Engine
from cutover.actions.session import Session
from cutover.state.jobs import Job, JobState, JobStore, JobTarget
from cutover.state.leases import LeaseStore

WATCH_EVERY = 0.5  # wall seconds between looks at the store


@dataclass(frozen=True)
class Progress:
    job: Job
    target: JobTarget | None  # a tenant's outcome; None: the job's state changed
    note: str = ""


@dataclass(frozen=True)
class Followed:
    job: Job
    related: tuple[Job, ...]  # rollbacks started for its tenants while it ran
    ran_engine: bool
    left_waiting: tuple[Job, ...]  # paused or held jobs nobody leads once we stop


async def follow(
    session: Session,
    job_id: str,
    on_progress: Callable[[Progress], None],
    *,
    build: Builder | None = None,
) -> Followed:
    jobs = JobStore(session.store, session.events)
    leases = LeaseStore(session.store)
    first = jobs.get(job_id)
    tenants = set(first.targets)
    printed: set[tuple[str, str]] = set()
    states: dict[str, tuple[JobState, str]] = {}
    engine: Engine | None = None
    engine_task: asyncio.Task[None] | None = None
    ran_engine = False

    def related() -> list[Job]:
        found = []
        for job in jobs.list(limit=200):
            if job.seq > first.seq and job.kind == "rollback" and tenants & set(job.targets):
                found.append(job)
        return found

    try:
        while True:
            if leases.leader() is None and (engine_task is None or engine_task.done()):
                engine = Engine(session.settings, actor=session.actor, build=build)
                stop_on_signals(engine)
                engine_task = asyncio.create_task(engine.run())
                ran_engine = True
                on_progress(Progress(jobs.get(job_id), None, "no engine leads: running one here until the job ends"))
            watched = [jobs.get(job_id), *related()]
            for job in watched:
                for step in jobs.steps(job.job_id):  # a batch's groups
                    for what, at in (("started", step.started_at), (step.state.value, step.ended_at)):
                        if at is not None and (job.job_id, f"{step.name} {what}") not in printed:
                            printed.add((job.job_id, f"{step.name} {what}"))
                            detail = f": {step.result}" if step.result and what != "started" else ""
                            on_progress(Progress(job, None, f"{job.job_id}: {step.name} {what}{detail}"))
                for target in jobs.targets(job.job_id):
                    if target.is_done and (job.job_id, target.tenant_id) not in printed:
                        printed.add((job.job_id, target.tenant_id))
                        on_progress(Progress(job, target))
                last = states.get(job.job_id)
                if last != (job.state, job.held_reason):
                    states[job.job_id] = (job.state, job.held_reason)
                    if last is not None or job.job_id != job_id or job.state is not JobState.QUEUED:
                        on_progress(Progress(job, None))
            if all(job.is_terminal for job in watched):
                busy = jobs.list([JobState.QUEUED, JobState.RUNNING])
                if not ran_engine or not busy:
                    waiting = tuple(jobs.list([JobState.PAUSED, JobState.HELD])) if ran_engine else ()
                    return Followed(watched[0], tuple(watched[1:]), ran_engine, waiting)
            await asyncio.sleep(WATCH_EVERY)
    finally:
        if engine is not None and engine_task is not None:
            engine.request_stop()
            with contextlib.suppress(asyncio.CancelledError):
                await engine_task


def stop_on_signals(engine: Engine) -> None:
    """SIGTERM and SIGHUP (the SSH session dropped) stop the engine cleanly: the lease is handed over."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, engine.request_stop)


async def run_engine_until_idle(
    session: Session, *, until_idle: bool, build: Builder | None = None, on_status: Callable[[str], None] | None = None
) -> None:
    """`cutover engine`: lead (or wait to lead) in the foreground; with until_idle, stop once no job is active."""
    jobs = JobStore(session.store, session.events)
    engine = Engine(session.settings, actor=session.actor, build=build)
    stop_when = (lambda: engine.leading and not jobs.active()) if until_idle else None
    stop_on_signals(engine)
    task = asyncio.create_task(engine.run(stop_when=stop_when))
    shown = ""
    try:
        while not task.done():
            status = engine.status()
            text = status.state + (f" (leader: {status.leader})" if status.state == "following" else "")
            if text != shown and on_status is not None:
                on_status(text)
                shown = text
            await asyncio.sleep(WATCH_EVERY)
        await task
    finally:
        engine.request_stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task
