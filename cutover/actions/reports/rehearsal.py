"""A whole migration night rehearsed on the simulated fleet: the rehearsal the runbook's lessons ask for.

The engine leads; an optional batch is submitted (as soon as the migration
window opens, when the night starts before it); scenario faults happen; the
triggers do what they do. What happened is read back from the audit trail as it
happens, with world times, and summed up at the end: migrated, rolled back (with
recovery times), refused, held, alerts.

On virtual time (the default for `cutover demo --headless --for`) the night runs
as fast as the engine can go; with a speed it runs at that many world seconds a
wall second.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from cutover.actions.engine.engine import Engine
from cutover.actions.plan.batch_schedule import schedule_lines, stored_times, zone_of
from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import PlanRequest
from cutover.actions.wiring.session import Session
from cutover.actions.wiring.signals import stop_on_signals
from cutover.config.units import format_duration
from cutover.model.jobs import JobKind, TargetState
from cutover.state.events import Event
from cutover.state.facts import ALERT
from cutover.state.job_records import Job
from cutover.state.jobs import JobStore

NIGHT_STEP = 5.0  # world seconds between looks at the night (submitting the batch, printing what happened)
SHOWN = ("job.", ALERT, "rollback.recovered", "engine.takeover", "trigger.shadow", "break-glass")
QUIET = frozenset({"job.control", "job.control.applied", "job.queued"})


@dataclass
class NightReport:
    started_at: float
    ended_at: float = 0.0
    jobs: list[Job] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    recoveries: list[tuple[str, float, float]] = field(default_factory=list)  # tenant, in sync, traffic back
    alerts: int = 0
    critical: int = 0
    refused: str = ""
    interrupted: bool = False  # a signal (Ctrl-C, SIGTERM, SIGHUP) ended the night early

    def lines(self, zone: ZoneInfo) -> list[str]:
        span = f"{_clock(self.started_at, zone)}-{_clock(self.ended_at, zone)} {zone.key}"
        out = [f"the night, {span} ({format_duration(self.ended_at - self.started_at)} of world time):"]
        if self.interrupted:
            out.append("  stopped early by a signal: the engine handed its lease over")
        if self.refused:
            out.append(f"  the batch was refused: {self.refused}")
        for job in self.jobs:
            out.append(
                f"  {job.job_id} ({job.kind}, {job.operator}): {job.state.value}: {job.result or job.held_reason}"
            )
        if self.outcomes:
            out.append("  tenants: " + ", ".join(f"{count} {state}" for state, count in self.outcomes.most_common()))
        for tenant_id, insync, back in self.recoveries:
            out.append(
                f"  recovery {tenant_id}: DNS in sync {format_duration(insync)} and traffic back on AWS "
                f"{format_duration(back)} after the decision"
            )
        out.append(f"  alerts: {self.alerts} ({self.critical} critical)")
        return out


def _clock(ts: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).strftime("%H:%M:%S")


def describe_event(event: Event, zone: ZoneInfo) -> str | None:
    if not event.kind.startswith(SHOWN) or event.kind in QUIET:
        return None
    at = _clock(event.ts, zone)
    if event.kind == ALERT:
        severity = str(event.detail.get("severity", "warning")).upper()
        return f"{at} {severity} {event.what}"
    if event.kind == "job.target":
        return f"{at} [{event.tenant_id}] {event.job_id}: {event.what.split(': ', 1)[-1]}"
    if event.kind.startswith("job."):
        why = f": {event.why}" if event.why and event.why not in event.what else ""
        return f"{at} {event.what}{why}"
    return f"{at} {event.what}" + (f": {event.why}" if event.why else "")


async def rehearse_night(
    session: Session,
    *,
    duration: float,
    batch: PlanRequest | None,
    reason: str,
    on_line: Callable[[str], None],
    zone: ZoneInfo,
) -> NightReport:
    engine = Engine(session.settings, actor=session.actor)
    signalled = asyncio.Event()

    def stop() -> None:
        signalled.set()
        engine.request_stop()

    stop_on_signals(stop)  # the engine stops and hands its lease over, as `cutover engine` does
    task = asyncio.create_task(engine.run())
    jobs = JobStore(session.store, session.events)
    try:
        for _ in range(600):
            if engine.leading or task.done():
                break
            await asyncio.sleep(0.05)
        if not engine.leading:
            raise RuntimeError(f"the engine could not lead: {engine.status().leader or engine.status().error}")
        # The batch is planned on what the engine observed: before its first look at the fleet a ready tenant has
        # no metrics yet, and the gate rightly leaves it out (the batch was refused when the plan won the race).
        for _ in range(6_000):
            if engine.fleet_observed or task.done():
                break
            await asyncio.sleep(0.005)  # the world's clock runs meanwhile: look often, plan at the engine's moment
        clock = engine.clock  # the world's clock the engine runs on: the night's steps are taken on it too
        assert clock is not None
        session.clock = session.events.clock = clock  # plans and submissions at the engine's very moment
        start = clock.now()
        report = NightReport(start)
        latest = session.events.find(limit=1)
        cursor = latest[0].seq if latest else 0
        ops = Operations(session, on_submit=engine.wake)
        pending_batch = batch
        submitted: Job | None = None
        while clock.now() < start + duration and not signalled.is_set():
            if pending_batch is not None:
                plan = ops.plan(pending_batch)
                window_only = plan.problems and all(p.startswith("migration-window") for p in plan.problems)
                if plan.ok:
                    for line in plan.exclusion_summary():
                        on_line(f"{_clock(clock.now(), zone)} excluded {line}")
                    submitted = ops.submit(plan, reason=reason, confirmation=plan.confirm_phrase)
                    on_line(
                        f"{_clock(clock.now(), zone)} {submitted.job_id} submitted: "
                        f"{len(plan.targets)} tenants in {len(plan.groups)} groups"
                    )
                    for line in schedule_lines(
                        stored_times(plan.params), plan.groups, clock.now(), zone_of(plan.params)
                    ):
                        on_line(f"{_clock(clock.now(), zone)} {submitted.job_id} {line}")
                    pending_batch = None
                elif not window_only:
                    report.refused = "; ".join(plan.problems)
                    on_line(f"{_clock(clock.now(), zone)} batch refused: {report.refused}")
                    pending_batch = None
            for event in session.events.find(after_seq=cursor):
                cursor = event.seq
                if (described := describe_event(event, zone)) is not None:
                    on_line(described)
            if task.done():
                break
            step = asyncio.ensure_future(clock.sleep(min(NIGHT_STEP, max(0.0, start + duration - clock.now()))))
            interrupt = asyncio.ensure_future(signalled.wait())
            await asyncio.wait((step, interrupt), return_when=asyncio.FIRST_COMPLETED)
            for waiting in (step, interrupt):
                waiting.cancel()
        for event in session.events.find(after_seq=cursor):
            if (described := describe_event(event, zone)) is not None:
                on_line(described)
        report.ended_at = clock.now()
        report.interrupted = signalled.is_set()
        return _summarise(report, jobs, session)
    finally:
        engine.request_stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _summarise(report: NightReport, jobs: JobStore, session: Session) -> NightReport:
    words = {TargetState.SUCCEEDED: "done", TargetState.PREEMPTED: "taken over by a rollback"}
    for job in reversed(jobs.find(limit=500)):
        if job.created_at < report.started_at:
            continue
        report.jobs.append(job)
        for target in jobs.targets(job.job_id):
            word = words.get(target.state, target.state.value.replace("_", " "))
            if job.kind == JobKind.ROLLBACK and target.state is TargetState.SUCCEEDED:
                word = "rolled back"
                detail = target.detail
                if "insync_after_s" in detail:
                    report.recoveries.append(
                        (target.tenant_id, detail["insync_after_s"], detail["traffic_back_after_s"])
                    )
            elif job.kind != JobKind.ROLLBACK and target.state is TargetState.SUCCEEDED:
                word = "migrated"
            if job.kind == JobKind.ROLLBACK or target.state is not TargetState.PREEMPTED:
                report.outcomes[word] += 1
    for event in session.events.find(after_seq=0):
        if event.kind == ALERT and event.ts >= report.started_at:
            report.alerts += 1
            report.critical += event.detail.get("severity") == "critical"
    return report
