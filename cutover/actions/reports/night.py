"""A migration night's report, read from the store (real nights and simulated ones alike).

The night of DATE runs from noon on DATE to noon the next day in the migration
window's zone, so a window that crosses midnight is one night. It says which
tenants moved, every rollback with its recovery time against the 3-minute
target, every hold with who resumed it, the break-glass overrides, and who was on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cutover.actions.reports.model import Hold, JobRecord, Moved, NightReport, OnDuty, Recovery, Signed
from cutover.config.settings import Settings
from cutover.model.lifecycle import DomainError, Lifecycle
from cutover.state.events import Event, EventLog
from cutover.state.facts import ALERT
from cutover.state.identity import Actor
from cutover.state.job_records import JobError
from cutover.state.jobs import JobStore
from cutover.state.store import Store

NIGHT_STARTS = time(12, 0)  # a night runs noon to noon, in the window's zone
ENDED_HOLD = ("resume", "abort")


class BadNight(DomainError):
    """A date that is not one."""


def night_of(day: date | None, now: float, zone: ZoneInfo) -> tuple[date, float, float]:
    """The night's date and span; without a date, the night `now` falls in."""
    if day is None:
        local = datetime.fromtimestamp(now, zone)
        day = local.date() if local.time() >= NIGHT_STARTS else local.date() - timedelta(days=1)
    start = datetime.combine(day, NIGHT_STARTS, zone)
    end = datetime.combine(day + timedelta(days=1), NIGHT_STARTS, zone)
    return day, start.timestamp(), end.timestamp()


def parse_night(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadNight(
            f"{text!r} is not a date: write the night's date as YYYY-MM-DD (the night of 2027-01-14 "
            "runs from its noon to noon the next day), or leave it out for tonight"
        ) from None


def build_night_report(
    store: Store, settings: Settings, events: EventLog, day: date | None, *, now: float, actor: Actor
) -> NightReport:
    zone = settings.safety.window.zone
    day, start, end = night_of(day, now, zone)
    rows = store.db.query("SELECT * FROM events WHERE ts >= ? AND ts < ? ORDER BY seq", [start, end])
    night = [Event.from_row(row) for row in rows]
    jobs = JobStore(store, events)
    created = [job for job in jobs.find() if start <= job.created_at < end]
    return NightReport(
        date=day.isoformat(),
        start=start,
        end=end,
        zone=settings.safety.window.timezone,
        generated_at=now,
        generated_by=actor.operator,
        jobs=tuple(
            JobRecord(
                job.job_id,
                job.kind,
                job.state.value,
                job.operator,
                job.reason,
                job.created_at,
                job.ended_at,
                job.result or job.held_reason or job.error,
                (),
            )
            for job in reversed(created)
        ),
        moved=tuple(
            Moved(e.tenant_id or "", e.ts, e.job_id or "")
            for e in night
            if e.kind == "transition" and e.state_after == Lifecycle.MIGRATED.value
        ),
        recoveries=tuple(_recoveries(night, jobs)),
        holds=tuple(_holds(night, store, end)),
        overrides=tuple(
            Signed(e.ts, e.operator, e.what, e.why, e.job_id or "", e.detail) for e in night if e.kind == "break-glass"
        ),
        on_duty=tuple(_on_duty(night)),
        alerts=sum(e.kind == ALERT for e in night),
        critical=sum(e.kind == ALERT and e.detail.get("severity") == "critical" for e in night),
    )


def _recoveries(night: Sequence[Event], jobs: JobStore) -> list[Recovery]:
    recovered = {(e.job_id, e.tenant_id): e.detail for e in night if e.kind == "rollback.recovered"}
    found = []
    for event in night:
        if event.kind != "transition" or event.state_after != Lifecycle.ROLLING_BACK.value:
            continue
        operator, why = event.operator, event.why
        if event.job_id:
            try:
                job = jobs.get(event.job_id)
                operator, why = job.operator, job.reason or why
            except JobError:
                pass
        detail = recovered.get((event.job_id, event.tenant_id), {})
        found.append(
            Recovery(
                event.tenant_id or "",
                event.job_id or "",
                float(detail.get("decided_at", event.ts)),
                operator,
                why,
                detail.get("insync_after_s"),
                detail.get("traffic_back_after_s"),
            )
        )
    return found


def _holds(night: Sequence[Event], store: Store, end: float) -> list[Hold]:
    holds = []
    for event in night:
        if event.kind != "job.held" or not event.job_id:
            continue
        later = [
            Event.from_row(row)
            for row in store.db.query(
                "SELECT * FROM events WHERE job_id = ? AND seq > ? AND kind IN ('job.control', 'job.held', "
                "'job.succeeded', 'job.failed', 'job.aborted', 'job.refused') ORDER BY seq",
                [event.job_id, event.seq],
            )
        ]
        how, at, by = "still held", None, ""
        for after in later:
            control = after.detail.get("control")
            if after.kind == "job.control" and control in ENDED_HOLD:
                how = "resumed" if control == "resume" else "aborted"
                at, by = after.ts, str(after.detail.get("operator") or after.operator)
                break
            if after.kind != "job.control":
                how, at = ("held again" if after.kind == "job.held" else "ended"), after.ts
                break
        holds.append(Hold(event.job_id, event.ts, event.why, at, by, how))
    return holds


def _on_duty(night: Sequence[Event]) -> list[OnDuty]:
    by_operator: dict[str, list[Event]] = defaultdict(list)
    for event in night:
        by_operator[event.operator].append(event)
    return [
        OnDuty(
            operator,
            tuple(sorted({e.host for e in done})),
            done[0].ts,
            done[-1].ts,
            len(done),
            any(e.kind == "engine.lead" for e in done),
        )
        for operator, done in sorted(by_operator.items(), key=lambda item: item[1][0].seq)
    ]
