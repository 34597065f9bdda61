"""A tenant's compliance report (the first runbook's Edge Case 4), gathered from the store.

The audit trail (the events, hash-chained) says who did what, when and why; the
jobs' steps hold the evidence (gate checks, checksums, DNS change ids and their
INSYNC times); the metric samples give AWS and OCI side by side and the measured
downtime. The report ends with the seal (see `seal.py`) that `cutover audit
verify --report` checks against the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cutover.actions.engine.flows.decommission import RETIRED
from cutover.actions.reports.model import (
    Action,
    DnsChange,
    Downtime,
    GateCheck,
    GateEvidence,
    JobRecord,
    Period,
    SideFigures,
    Signed,
    StepRecord,
    TenantReport,
    Validation,
    Verification,
)
from cutover.actions.reports.seal import chain_head, seal_of, tenant_event_rows
from cutover.config.settings import Settings
from cutover.model.jobs import TO_OCI_KINDS, StepName, StepState
from cutover.model.lifecycle import Lifecycle
from cutover.state.events import Event
from cutover.state.facts import APPROVAL
from cutover.state.identity import Actor
from cutover.state.job_records import JobError, Step
from cutover.state.jobs import JobStore
from cutover.state.samples import Sample, SampleStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore
from cutover.state.watch import CHECKPOINT

COMPARED = 3600.0  # each side-by-side period: the hour before the DNS change, the hour after traffic moved


def build_tenant_report(
    store: Store, settings: Settings, tenants: TenantStore, tenant_id: str, *, now: float, actor: Actor
) -> TenantReport:
    """Everything the store holds about one tenant's migration, up to the chain's head now."""
    tenant = tenants.get(tenant_id)
    with store.read():
        head = chain_head(store)
        rows = tenant_event_rows(store, tenant_id, head[0])
    events = [Event.from_row(row) for row in rows]
    jobs = JobStore(store, tenants.events)
    job_ids = list(dict.fromkeys(event.job_id for event in events if event.job_id))
    records, steps_by_job = _jobs(jobs, tenant_id, job_ids)
    samples = SampleStore(store).history(tenant_id, 0.0)
    cutover_change = _first_cutover_change(records, steps_by_job)
    return TenantReport(
        tenant_id=tenant.tenant_id,
        name=tenant.name,
        tier=tenant.tier,
        wave=tenant.wave,
        dns_name=tenant.dns_name,
        aws_target=tenant.aws_target,
        oci_target=tenant.oci_target,
        lifecycle=tenant.lifecycle.value,
        baseline_p95_ms=tenant.baseline_p95_ms,
        baseline_error_rate=tenant.baseline_error_rate,
        generated_at=now,
        generated_by=actor.operator,
        zone=settings.safety.window.timezone,
        actions=tuple(
            Action(e.seq, e.ts, e.operator, e.host, e.kind, e.what, e.why, e.job_id or "", e.hash) for e in events
        ),
        jobs=tuple(records),
        gates=tuple(_gates(records, steps_by_job)),
        verifications=tuple(_verifications(records, steps_by_job)),
        validations=tuple(_validations(steps_by_job)),
        periods=tuple(_periods(samples, cutover_change, steps_by_job)),
        samples_from=samples[0].measured_at if samples else None,
        samples_kept_s=settings.state.sample_retention,
        downtime=_downtime(samples, cutover_change),
        dns_changes=tuple(_dns_changes(steps_by_job)),
        approvals=tuple(_signed(e) for e in events if e.kind == APPROVAL),
        overrides=tuple(_signed(e) for e in events if e.kind == "break-glass"),
        checkpoints=tuple(_signed(e) for e in events if e.kind == CHECKPOINT),
        decommission=next((_signed(e) for e in reversed(events) if e.kind == RETIRED), None),
        rollbacks=tuple(_rollbacks(events)),
        seal=seal_of(tenant_id, head, rows),
    )


def _jobs(jobs: JobStore, tenant_id: str, job_ids: Sequence[str]) -> tuple[list[JobRecord], dict[str, list[Step]]]:
    records: list[JobRecord] = []
    steps_by_job: dict[str, list[Step]] = {}
    for job_id in job_ids:
        try:
            job = jobs.get(job_id)
            target = jobs.target(job_id, tenant_id)
        except JobError:
            continue  # a job named in the trail that does not target this tenant (or was removed)
        steps = jobs.steps(job_id, tenant_id)
        steps_by_job[job_id] = steps
        records.append(
            JobRecord(
                job.job_id,
                job.kind,
                job.state.value,
                job.operator,
                job.reason,
                job.created_at,
                job.ended_at,
                f"{target.state.value.replace('_', ' ')}: {target.summary}" if target.summary else target.state.value,
                tuple(
                    StepRecord(s.name, s.state.value, s.started_at, s.ended_at, s.result, s.request_ids) for s in steps
                ),
            )
        )
    return records, steps_by_job


def _gates(records: Sequence[JobRecord], steps_by_job: dict[str, list[Step]]) -> list[GateEvidence]:
    found = []
    for record in records:
        for step in steps_by_job[record.job_id]:
            if step.name != StepName.GATE or "gate" not in step.detail:
                continue
            gate = step.detail["gate"]
            checks = tuple(
                GateCheck(str(c["name"]), str(c["result"]), str(c["evidence"]), str(c.get("overridden") or ""))
                for c in gate.get("checks", ())
            )
            found.append(
                GateEvidence(
                    record.job_id,
                    step.ended_at or step.started_at or 0.0,
                    step.state is StepState.DONE,
                    step.result,
                    checks,
                )
            )
    return found


def _verifications(records: Sequence[JobRecord], steps_by_job: dict[str, list[Step]]) -> list[Verification]:
    found = []
    for record in records:
        for step in steps_by_job[record.job_id]:
            if step.name != StepName.VERIFY or step.state not in (StepState.DONE, StepState.FAILED):
                continue
            detail = step.detail
            missing = _number(detail, "missing_on_dst", "missing_on_oci")
            found.append(
                Verification(
                    record.job_id,
                    record.kind,
                    step.ended_at or 0.0,
                    step.state is StepState.DONE,
                    step.result,
                    _number(detail, "objects_checked"),
                    _number(detail, "differ"),
                    missing,
                )
            )
    return found


def _number(detail: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        if isinstance(detail.get(key), int | float):
            return int(detail[key])
    return None


def _validations(steps_by_job: dict[str, list[Step]]) -> list[Validation]:
    return [
        Validation(job_id, step.ended_at or 0.0, step.state is StepState.DONE, step.result)
        for job_id, steps in steps_by_job.items()
        for step in steps
        if step.name == StepName.VALIDATE and step.state in (StepState.DONE, StepState.FAILED)
    ]


def _dns_changes(steps_by_job: dict[str, list[Step]]) -> list[DnsChange]:
    changes: list[DnsChange] = []
    for job_id, steps in steps_by_job.items():
        ours: list[DnsChange] = []
        for step in steps:
            detail = step.detail
            if "submitted_at" in detail and detail.get("change_id"):
                ours.append(
                    DnsChange(
                        job_id,
                        step.name,
                        str(detail["change_id"]),
                        str(detail.get("to", "")),
                        detail["submitted_at"],
                        None,
                        None,
                    )
                )
            elif "insync_after_s" in detail and step.state is StepState.DONE and ours:
                change_id = detail.get("change_id")
                match = next((c for c in reversed(ours) if change_id in (None, c.change_id)), ours[-1])
                index = ours.index(match)
                ours[index] = DnsChange(
                    match.job_id,
                    match.step,
                    match.change_id,
                    match.to,
                    match.submitted_at,
                    step.ended_at,
                    float(detail["insync_after_s"]),
                )
        changes += ours
    return changes


def _first_cutover_change(records: Sequence[JobRecord], steps_by_job: dict[str, list[Step]]) -> float | None:
    """When DNS was first pointed at OCI for this tenant (its cutover's change), if it was."""
    for record in sorted(records, key=lambda r: r.created_at):
        if record.kind not in TO_OCI_KINDS:
            continue
        for step in steps_by_job[record.job_id]:
            if step.name == StepName.DNS_CHANGE and step.state is StepState.DONE:
                return float(step.detail.get("submitted_at") or step.ended_at or 0.0)
            if step.name.startswith("stage") and step.state is StepState.DONE and step.ended_at:
                return float(step.detail.get("submitted_at") or step.ended_at)
    return None


def _periods(samples: Sequence[Sample], changed_at: float | None, steps_by_job: dict[str, list[Step]]) -> list[Period]:
    if not samples:
        return []
    periods = []
    if changed_at is not None:
        moved = next(
            (
                step.ended_at
                for steps in steps_by_job.values()
                for step in steps
                if step.name == StepName.TRAFFIC and step.state is StepState.DONE and step.ended_at
            ),
            changed_at,
        )
        periods.append(_period("before the DNS change", samples, changed_at - COMPARED, changed_at))
        periods.append(_period("after the traffic moved", samples, moved, moved + COMPARED))
    last = samples[-1].measured_at
    periods.append(_period("the latest hour kept", samples, last - COMPARED, last + 1))
    return [period for period in periods if period.aws.samples or period.oci.samples]


def _period(label: str, samples: Sequence[Sample], start: float, end: float) -> Period:
    """Both sides over [start, end); the period's times are those of the first and last sample in it."""
    inside = [s for s in samples if start <= s.measured_at < end]
    first, last = (inside[0].measured_at, inside[-1].measured_at) if inside else (start, start)
    return Period(label, first, last, _side("aws", inside), _side("oci", inside))


def _side(side: str, samples: Sequence[Sample]) -> SideFigures:
    mine = [s for s in samples if s.side == side]
    requests = sum(s.requests or 0.0 for s in mine)
    errors = sum(s.errors or 0.0 for s in mine)
    p95s = [s.p95_ms for s in mine if s.p95_ms is not None and (s.requests or 0) > 0]
    return SideFigures(side, len(mine), requests, errors / requests if requests else None, max(p95s) if p95s else None)


def _downtime(samples: Sequence[Sample], changed_at: float | None) -> Downtime:
    """The moments both sides were measured and neither served a request, joined into windows."""
    by_time: dict[float, dict[str, Sample]] = {}
    for sample in samples:
        by_time.setdefault(sample.measured_at, {})[sample.side] = sample
    moments = sorted(at for at, sides in by_time.items() if {"aws", "oci"} <= set(sides))
    if not moments:
        return Downtime(False, 0.0, (), None, None)
    covered = changed_at is not None and moments[0] <= changed_at <= moments[-1]
    windows: list[tuple[float, float]] = []
    start: float | None = None
    for at in moments:
        silent = all((by_time[at][side].requests or 0.0) <= 0 for side in ("aws", "oci"))
        if silent and start is None:
            start = at
        elif not silent and start is not None:
            windows.append((start, at))
            start = None
    if start is not None:
        windows.append((start, moments[-1]))
    return Downtime(covered, sum(end - begin for begin, end in windows), tuple(windows), moments[0], moments[-1])


def _signed(event: Event) -> Signed:
    return Signed(event.ts, event.operator, event.what, event.why, event.job_id or "", event.detail)


def _rollbacks(events: Sequence[Event]) -> list[Signed]:
    recovered = {e.job_id: e.detail for e in events if e.kind == "rollback.recovered"}
    return [
        Signed(e.ts, e.operator, e.what, e.why, e.job_id or "", recovered.get(e.job_id, {}))
        for e in events
        if e.kind == "transition" and e.state_after == Lifecycle.ROLLING_BACK.value
    ]
