"""The read model: everything a console shows comes from the store, written by the engine that leads.

No console ever calls a provider. The leading engine (actions/engine/engine.py) polls
the fleet and writes what it saw; every console (leader or viewer, any process on
the jump host) reads the same SQLite file. Where each thing lives:

Tenants (state/tenants.py, `TenantStore.find()/get()`), one row each:
  - lifecycle, lifecycle_since: changed only by jobs (and imports), each change an audit event;
  - sync (poller, every engine.sync_interval, whole fleet): sync_health, sync_percent,
    sync_eta_s, sync_lag_s, pending_objects, pending_bytes, checksum_mismatches,
    last_pass_at, observed_at; verified_at (the cutover's verify step: lag 0 proven);
  - backends (poller, engine.health_interval, whole fleet): backends_healthy,
    backends_total, health_at; hydrated_at (poller, or the cutover's hydrate step);
  - validation: validation_passed, validation_total, validated_at;
  - monitoring_until: set when a tenant enters monitoring;
  - live view: dns_oci_share, dns_routing, dns_at (DNS poller) and observed_oci_share,
    requests, error_rate, p95_ms, metrics_at (metrics poller). Tenants in flight
    (cutting over, monitoring, rolling back) are refreshed every engine.metrics_interval
    (5 s) / engine.dns_interval (10 s); the rest of the fleet every engine.fleet_interval
    (60 s). Show the `*_at` age next to each figure; older than two intervals is stale.

Sources (state/sources.py, `SourceStore.all()`): each provider's last good poll,
last error and run of consecutive errors; `is_stale(now)` for the header.

Metric samples (state/samples.py, `SampleStore.history(tenant, since)`): per tenant
and side (aws/oci): requests, errors, p95. Tenants in flight or under watch get one per
metrics poll; the rest are sampled every engine.fleet_samples_interval (5 min) and kept
one per state.sample_resolution (15 min: requests and errors summed, p95 the worst, at
the bucket's start); pruned after state.sample_retention (2 h) and over
state.sample_max_rows. At 10,000 tenants that is about 60,000 rows (4.6 MB) an hour.

Alerts (events of kind "alert", `Facts.alerts(limit, after_seq)`): trigger outcomes
(fail, inconclusive, error), provider errors (a source failing N times in a row),
holds of a job, DNS records changed by hand. detail: severity (info, warning,
critical), source (trigger, engine, dns, or a provider's name), rule, outcome, hold.

A hold, an automatic rollback and a failing source (`pinned_alert`) stay pinned in every
console until an operator acknowledges them: an event of kind "alert.acknowledged"
(detail up_to_seq, seqs), `Facts.alerts_acknowledged_up_to()`.

Trigger verdicts (`TriggerStatusStore.for_tenant(tenant)`): per tenant being judged
and per rule, the last outcome (pass, fail, inconclusive, error), the value, since
when it has been breaching, and the message ("2.00 % (threshold > 1.00 %), breaching
for 2m of 5m"). Rows go away when the tenant is no longer judged.

Jobs (state/jobs.py, `JobStore`): `list(states, kind, limit)`, `active()`, `get(id)`;
per job its targets (`targets(id)`: per tenant state pending/running/succeeded/failed/
rolled_back/refused/aborted/preempted, summary, detail such as recovery times) and its
steps (`steps(id, tenant)`: name, state, started_at, ended_at, result, request_ids,
detail; a batch's own steps are "group N" with tenant None). `lock_holders()` says
who holds which tenant. Job state: queued, running, paused, held (held_reason says
for what), succeeded, failed, aborted, refused.

The engine lease (`LeaseStore.leader()`): who leads, its heartbeat; None when no
engine leads (jobs then wait, queued: say so).

The audit trail (`EventLog.find(...)`): every transition, job state change (job.*),
break-glass override, rehearsal, approval, takeover (engine.takeover).

`ReadModel` below bundles these reads for a screen that wants them in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cutover.model.jobs import JobKind, JobState, StepState
from cutover.state.events import Event
from cutover.state.facts import ALERT, Facts, TriggerStatus, TriggerStatusStore
from cutover.state.job_records import Job, JobTarget, LockHolder, Step
from cutover.state.jobs import JobStore
from cutover.state.leases import ENGINE_LEASE, Lease, LeaseStore
from cutover.state.samples import Sample, SampleStore
from cutover.state.sources import SourceHealth, SourceStore
from cutover.state.store import Store


@dataclass(frozen=True)
class JobView:
    job: Job
    targets: tuple[JobTarget, ...]
    steps: tuple[Step, ...]  # every step: the job's own first (tenant None), then per tenant in order

    def steps_of(self, tenant_id: str | None) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.tenant_id == tenant_id)


def pinned_alert(event: Event) -> bool:
    """An alert that stays in view until acknowledged: anything critical, a hold (stop the line), an automatic
    rollback, a source failing."""
    if event.kind != ALERT:
        return False
    detail = event.detail
    if detail.get("severity") == "critical" or detail.get("hold"):
        return True
    what = event.what.lower()
    return " held: " in what or "rolling back" in what or ("source" in what and "failing" in what)


def job_activity(jobs: JobStore, active: list[Job], locks: Mapping[str, LockHolder]) -> dict[str, str]:
    """What the job holding each tenant does with it now: "flip-1: dns change" (the console's fleet
    table and `cutover status` both say this). A job that lost a tenant (a rollback took it over)
    says nothing more about it."""
    doing: dict[str, str] = {}

    def holds(job: Job, tenant_id: str) -> bool:
        holder = locks.get(tenant_id)
        return holder is not None and holder.job_id == job.job_id

    for job in active:
        if job.kind == JobKind.BATCH:
            doing.update(
                (tid, text) for tid, text in _queued_in_batch(jobs, job).items() if holds(job, tid) and tid not in doing
            )
        if job.state not in (JobState.RUNNING, JobState.HELD, JobState.PAUSED):
            for tenant_id in job.targets:
                if holds(job, tenant_id):
                    doing.setdefault(tenant_id, f"{job.job_id}: {job.state.value}")
            continue
        for step in jobs.steps(job.job_id, all_tenants=True):
            if step.tenant_id is None or step.tenant_id in doing or step.is_finished:
                continue
            if not holds(job, step.tenant_id):
                continue
            state = "" if job.state is JobState.RUNNING else f" ({job.state.value})"
            doing[step.tenant_id] = f"{job.job_id}: {step.name.replace('_', ' ')}{state}"
    return doing


def _queued_in_batch(jobs: JobStore, job: Job) -> dict[str, str]:
    """The tenants of a batch's groups not started yet: "batch-2: group 3 waits (~02:45 EST)" (the plan's expected
    start, in the zone the batch was planned in), not the first of their pending steps."""
    from zoneinfo import ZoneInfo

    from cutover.config.units import format_clock

    groups: list[list[str]] = job.params.get("groups") or []
    expected = {int(t["group"]): float(t["start"]) for t in job.params.get("expected") or []}
    zone = ZoneInfo(job.params["timezone"]) if job.params.get("timezone") else None
    started = {
        step.name
        for step in jobs.steps(job.job_id)
        if step.name.startswith("group ") and step.state is not StepState.PENDING
    }
    state = "" if job.state in (JobState.RUNNING, JobState.QUEUED) else f", {job.state.value}"
    waiting: dict[str, str] = {}
    for number, tenant_ids in enumerate(groups, start=1):
        if f"group {number}" in started:
            continue
        when = f" (~{format_clock(expected[number], zone)}{state})" if number in expected else ""
        for tenant_id in tenant_ids:
            waiting[tenant_id] = f"{job.job_id}: group {number} waits{when}"
    return waiting


class ReadModel:
    """Reads only. Cheap; safe from any thread that owns the store connection."""

    def __init__(self, store: Store, jobs: JobStore, lease: str = ENGINE_LEASE):
        """`lease`: the war room's engine lease (config/war_room.py)."""
        self.store = store
        self._jobs = jobs
        self._facts = Facts(store)
        self._triggers = TriggerStatusStore(store)
        self._samples = SampleStore(store)
        self._sources = SourceStore(store)
        self._leases = LeaseStore(store, name=lease)

    def leader(self) -> Lease | None:
        return self._leases.leader()

    def jobs(self, *, active_only: bool = False, limit: int = 50) -> list[Job]:
        return self._jobs.active() if active_only else self._jobs.find(limit=limit)

    def job(self, job_id: str) -> JobView:
        return JobView(
            self._jobs.get(job_id),
            tuple(self._jobs.targets(job_id)),
            tuple(self._jobs.steps(job_id, all_tenants=True)),
        )

    def tenant_jobs(self, tenant_id: str, limit: int = 20) -> list[Job]:
        return self._jobs.jobs_for_tenant(tenant_id, limit)

    def locks(self) -> list[LockHolder]:
        return self._jobs.lock_holders()

    def activity(self) -> dict[str, str]:
        """Tenant -> what the job holding it does now ("flip-1: hydrate"); see job_activity."""
        locks = {holder.tenant_id: holder for holder in self._jobs.lock_holders()}
        return job_activity(self._jobs, self._jobs.active(), locks)

    def alerts(self, limit: int = 100, after_seq: int = 0) -> list[Event]:
        return self._facts.alerts(limit, after_seq)

    def alerts_acknowledged_up_to(self) -> int:
        return self._facts.alerts_acknowledged_up_to()

    def triggers(self, tenant_id: str | None = None) -> list[TriggerStatus]:
        return self._triggers.for_tenant(tenant_id) if tenant_id else self._triggers.all()

    def samples(self, tenant_id: str, since: float) -> list[Sample]:
        return self._samples.history(tenant_id, since)

    def sources(self) -> list[SourceHealth]:
        return self._sources.all()
