"""The tenant detail view's read: one tenant's live figures, its last hour of samples as sparkline series,
its holds and checkpoint, read in the detail screen's worker once a second."""

from __future__ import annotations

from dataclasses import dataclass

from cutover.actions.plan.gate import GateResult, evaluate_gate
from cutover.actions.plan.read_model import JobView, ReadModel, job_activity
from cutover.console.feed import FleetFeed, hold_steps, tonight_slots
from cutover.console.fleet.columns import FleetRow
from cutover.console.fleet.rows import RowContext, build_row
from cutover.model.tenant import Tenant
from cutover.state.events import Event
from cutover.state.holds import TenantHold, active_holds
from cutover.state.readiness import ON_OCI, ReadinessStore, readiness_lines
from cutover.state.watch import checkpoints, watch_text


@dataclass(frozen=True)
class TenantDetail:
    """Everything the detail view shows of one tenant, read in one go."""

    now: float
    tenant: Tenant
    row: FleetRow
    gate: GateResult
    events: list[Event]
    oci_share: list[float]
    error_rate: list[float]
    p95_ms: list[float]
    job: JobView | None = None  # the newest job that took this tenant (its steps lead the detail in flight)
    rollbacks_tonight: int = 0
    watch: str = ""  # a migrated tenant's watch: "watch 3h 12m left · checkpoint T+4h passed"
    hold: TenantHold | None = None  # `cutover hold`: kept out of the queue, by whom, why, until when
    # On OCI, the way back as the engine last measured it: what a rollback strands, the AWS side, time left.
    way_back: tuple[str, ...] = ()


def series_from_samples(samples: list) -> tuple[list[float], list[float], list[float]]:
    """Per measurement time, both sides together: OCI's share of requests, error rate, p95 (worst side)."""
    by_time: dict[float, list] = {}
    for sample in samples:
        by_time.setdefault(sample.measured_at, []).append(sample)
    share, errors, p95 = [], [], []
    for at in sorted(by_time):
        sides = by_time[at]
        requests = sum(s.requests or 0.0 for s in sides)
        oci = sum(s.requests or 0.0 for s in sides if s.side == "oci")
        failed = sum(s.errors or 0.0 for s in sides)
        share.append(oci / requests if requests else 0.0)
        errors.append(failed / requests if requests else 0.0)
        p95.append(max((s.p95_ms for s in sides if s.p95_ms is not None), default=0.0))
    return share, errors, p95


def read_detail(feed: FleetFeed, tenant_id: str, window: float = 3600.0) -> TenantDetail:
    from cutover.state.samples import SampleStore

    now = feed.clock.now()
    store = feed.tenants.store
    with store.read():
        tenant = feed.tenants.get(tenant_id)
        events = feed.events.find(tenant_id=tenant_id, limit=100)
        samples = SampleStore(store).history(tenant_id, since=now - window)
        measured = ReadinessStore(store).one(tenant_id) if tenant.lifecycle in ON_OCI else None
        newest = feed.jobs.jobs_for_tenant(tenant_id, 1)
        job = ReadModel(store, feed.jobs).job(newest[0].job_id) if newest else None
        # The row as the fleet table builds it (the same job activity, faults and place tonight), so the
        # header says the same next step as the table.
        locks = {holder.tenant_id: holder for holder in feed.jobs.lock_holders([tenant_id])}
        active = feed.jobs.active()
        context = RowContext(
            now=now,
            gates=feed.settings.gates,
            locks={tid: holder.operator for tid, holder in locks.items()},
            activity=job_activity(feed.jobs, [j for j in active if tenant_id in j.targets], locks),
            triggers=feed.settings.triggers,
            breaching_since={
                (status.tenant_id, status.rule): status.breaching_since
                for status in feed.trigger_status.all()
                if status.tenant_id == tenant_id and status.breaching_since is not None
            },
            tonight={tid: slot.text() for tid, slot in tonight_slots(active).items() if tid == tenant_id},
            watch=feed.settings.watch,
            checkpoints=checkpoints(store, [tenant_id]),
            holds={tid: step for tid, step in hold_steps(store, now, feed.settings).items() if tid == tenant_id},
            war_room=(room := feed.settings.war_room.room()),
            others=() if room.whole_fleet else feed.leases.other_war_rooms_leading(room),
        )
        hold = active_holds(store, now).get(tenant_id)
    share, errors, p95 = series_from_samples(samples)
    row = build_row(tenant, context)
    gate = evaluate_gate(tenant, now, feed.settings)
    watch = watch_text(tenant, now, feed.settings.watch, context.checkpoints.get(tenant_id))
    way_back: tuple[str, ...] = ()
    if tenant.lifecycle in ON_OCI:
        settings = feed.settings
        way_back = tuple(
            readiness_lines(
                tenant, measured, now, settings.watch, settings.rollback.reverse_sync, settings.safety.window.zone
            )
        )
    return TenantDetail(
        now, tenant, row, gate, events, share, errors, p95, job, feed.rollbacks_tonight, watch, hold, way_back
    )
