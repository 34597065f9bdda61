"""Following a job to its end from a headless command, running the engine when none leads.

The command's job sits in the store; if an engine leads (a console, `cutover
engine`), it runs it and this only watches. If none does, or the leader dies
while we watch, this process runs one in the foreground until its job (and any
rollback a trigger started for its tenants) has ended or is held (it waits for a
human: a hold the engine cannot clear on its own data); it goes on leading only
while other jobs run (a held one included) and no other engine stands by to take
them over.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from cutover.actions.engine.engine import Builder, Engine
from cutover.actions.wiring.session import Session
from cutover.actions.wiring.signals import stop_on_signals
from cutover.model.jobs import JobKind, JobState
from cutover.state.job_records import Job, JobTarget
from cutover.state.jobs import JobStore
from cutover.state.leases import LeaseStore
from cutover.state.store import StoreGone

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
    left_waiting: tuple[Job, ...]  # jobs not ended that nobody leads once we stop
    interrupted: bool = False  # a signal ended the watch before the job ended
    handed_to: str = ""  # the engine standing by that we handed the lease to
    lost_lease: str = ""  # the engine this process ran lost its lease (it stalled): why
    store_gone: str = ""  # the store's file was deleted or replaced while we watched: what we know


async def follow(
    session: Session,
    job_id: str,
    on_progress: Callable[[Progress], None],
    *,
    build: Builder | None = None,
) -> Followed:
    """Watch a job to its end, leading the engine while nobody else does.

    Once the job has ended this returns, unless the engine it runs leads other jobs
    and nobody stands by to take them over: then it keeps leading (and says so)
    until another engine stands by or a signal (Ctrl-C, SIGTERM, SIGHUP) stops it.
    """
    jobs = JobStore(session.store, session.events)
    leases = LeaseStore(session.store, name=session.settings.war_room.room().lease)
    first = jobs.get(job_id)
    tenants = set(first.targets)
    printed: set[tuple[str, str]] = set()
    states: dict[str, tuple[JobState, str]] = {}
    engine: Engine | None = None
    engine_task: asyncio.Task[None] | None = None
    ran_engine = False
    kept_for: tuple[str, ...] = ()
    kept_out: set[str] = set()  # what was said of why this war room's engine cannot lead
    stopped = asyncio.Event()
    stop_on_signals(stopped.set)

    def related() -> list[Job]:
        found = []
        for job in jobs.find(limit=200):
            if job.seq > first.seq and job.kind == JobKind.ROLLBACK and tenants & set(job.targets):
                found.append(job)
        return found

    def ended(watched: list[Job], *, interrupted: bool = False, handed_to: str = "", lost: str = "") -> Followed:
        waiting = tuple(jobs.active()) if ran_engine and not handed_to and not lost else ()
        return Followed(watched[0], tuple(watched[1:]), ran_engine, waiting, interrupted, handed_to, lost)

    async def watch() -> Followed:
        nonlocal engine, engine_task, ran_engine, kept_for
        while True:
            try:
                session.store.check_identity()
            except StoreGone as gone:
                watched = [jobs.get(job_id), *related()]
                return replace(ended(watched, interrupted=True, lost="-"), lost_lease="", store_gone=str(gone))
            if engine is not None and engine.lost_lease:
                # It stalled past its lease and stopped acting at once; whoever leads now has the job.
                return ended([jobs.get(job_id), *related()], interrupted=True, lost=engine.lost_lease)
            if not stopped.is_set() and leases.leader() is None and (engine_task is None or engine_task.done()):
                engine = Engine(session.settings, actor=session.actor, build=build)
                engine_task = asyncio.create_task(engine.run())
                ran_engine = True
                on_progress(Progress(jobs.get(job_id), None, "no engine leads: running one here until the job ends"))
            if engine is not None and engine.status().overlapping and "overlapping" not in kept_out:
                kept_out.add("overlapping")  # said once: the engine keeps trying, and leads once the other stops
                on_progress(
                    Progress(
                        jobs.get(job_id),
                        None,
                        f"{job_id} waits: this war room's engine cannot lead while "
                        f"{engine.status().overlapping}; it leads (and runs it) once that engine stops",
                    )
                )
            watched = [jobs.get(job_id), *related()]
            for job in watched:
                report_progress(jobs, job, printed, states, first_job=job_id, on_progress=on_progress)
            # A held job waits for a human (or a source that stopped): the watch ends as for an ended job.
            held = watched[0].state is JobState.HELD and all(job.is_terminal for job in watched[1:])
            done = held or all(job.is_terminal for job in watched)
            if stopped.is_set():
                return ended(watched, interrupted=not done)
            if done:
                # Paused and held jobs count: their tenants' triggers are armed only while an engine leads.
                busy = tuple(job.job_id for job in jobs.active())
                if engine is None or not engine.leading or not busy:
                    return ended(watched)
                lease = leases.current()
                standby = lease.standby(within=2 * session.settings.engine.heartbeat + 1) if lease else ""
                if standby:
                    on_progress(Progress(watched[0], None, f"handing the engine over to {standby}, who stands by"))
                    return ended(watched, handed_to=standby)
                if busy != kept_for:
                    kept_for = busy
                    on_progress(
                        Progress(
                            watched[0],
                            None,
                            f"{job_id} {'is held' if held else 'has ended'}; still leading the engine for "
                            f"{', '.join(busy)}: nobody stands by "
                            "to take it over. Open a console or run `cutover engine` and this hands over and exits; "
                            "Ctrl-C hands over now (their triggers are not armed until an engine leads)",
                        )
                    )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), WATCH_EVERY)

    try:
        followed = await watch()
    finally:
        if engine is not None and engine_task is not None:
            engine.request_stop()
            with contextlib.suppress(asyncio.CancelledError):
                await engine_task
    if engine is not None and engine.store_gone and not followed.store_gone:
        followed = replace(followed, interrupted=True, left_waiting=(), lost_lease="", store_gone=engine.store_gone)
    elif engine is not None and engine.lost_lease and not followed.lost_lease and not followed.store_gone:
        # Noticed only as it stopped: it could not hand over a lease another engine had taken.
        followed = replace(followed, interrupted=True, left_waiting=(), lost_lease=engine.lost_lease)
    return followed


def report_progress(
    jobs: JobStore,
    job: Job,
    printed: set[tuple[str, str]],
    states: dict[str, tuple[JobState, str]],
    *,
    first_job: str,
    on_progress: Callable[[Progress], None],
) -> None:
    """Say once each group step that started or ended, each tenant that finished and each job state change."""
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
        if last is not None or job.job_id != first_job or job.state is not JobState.QUEUED:
            on_progress(Progress(job, None))


async def run_engine_until_idle(
    session: Session, *, until_idle: bool, build: Builder | None = None, on_status: Callable[[str], None] | None = None
) -> None:
    """`cutover engine`: lead (or wait to lead) in the foreground; with until_idle, stop once no job is active."""
    jobs = JobStore(session.store, session.events)
    engine = Engine(session.settings, actor=session.actor, build=build)
    stop_when = (lambda: engine.leading and not jobs.active()) if until_idle else None
    stop_on_signals(engine.request_stop)
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
