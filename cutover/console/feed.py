"""What the console reads from the store, once a second, in a worker thread.

`FleetFeed.poll()` reads the tenants, the sources' health and the events that
arrived since the last poll, builds the display rows, and returns only what
changed since the previous poll. It never touches Textual: the app hands the
result to its widgets on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cutover.actions.plan.gate import GateResult, evaluate_gate
from cutover.actions.plan.go_no_go import NightDecision, read_night
from cutover.actions.plan.read_model import JobView, ReadModel, job_activity, pinned_alert
from cutover.config.settings import Settings
from cutover.config.units import format_clock
from cutover.console.fleet.columns import FleetRow
from cutover.console.fleet.rows import RowContext, TonightSlot, build_row, row_valid_until
from cutover.console.fleet.waves import WaveSummary, summarize
from cutover.model.clock import Clock
from cutover.model.jobs import JobKind
from cutover.model.tenant import Tenant
from cutover.state.events import Event, EventLog
from cutover.state.facts import ALERT_ACKNOWLEDGED, Facts, TriggerStatusStore
from cutover.state.holds import TenantHold, active_holds
from cutover.state.job_records import Job, LockHolder
from cutover.state.jobs import JobStore
from cutover.state.leases import Lease, LeaseStore
from cutover.state.readiness import ON_OCI, ReadinessStore, readiness_lines
from cutover.state.simworld import SimWorldStore
from cutover.state.sources import SourceHealth, SourceStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore
from cutover.state.watch import checkpoints, watch_text

# Kinds shown in the alerts feed: trigger outcomes, provider errors, stale sources.
ALERT_KINDS = ("alert",)
NIGHT = 12 * 3600.0
FIRST_EVENTS = 200
PINNED_LOOKBACK = 500  # alerts read back at start for those still waiting for an acknowledgement


@dataclass(frozen=True)
class FeedUpdate:
    """One poll's worth of change."""

    now: float
    changed: dict[str, FleetRow]
    removed: tuple[str, ...]
    total: int
    summary: list[WaveSummary]
    sources: list[SourceHealth]
    alerts: list[Event]
    rollbacks_tonight: int
    tenants: dict[str, Tenant] = field(repr=False, default_factory=dict)
    locks: dict[str, LockHolder] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)  # jobs not ended, oldest first
    leader: Lease | None = None
    complete: bool = True  # False: only the first screenful was read, the rest follows
    pinned: tuple[Event, ...] = ()  # holds, automatic rollbacks, failing sources not acknowledged yet, oldest first
    world_speed: float | None = None  # the simulated world's speed; None on real clouds
    night: NightDecision | None = None  # tonight's go/no-go ("GO 4/5: waiting for dba" in the header)


def tonight_slots(active: list[Job]) -> dict[str, TonightSlot]:
    """Tonight's tenants: those a batch job not ended holds or targets, each with its group and the
    group's expected start in the zone the batch was planned in."""
    from zoneinfo import ZoneInfo

    slots: dict[str, TonightSlot] = {}
    for job in active:
        if job.kind != JobKind.BATCH:
            continue
        zone = ZoneInfo(job.params["timezone"]) if job.params.get("timezone") else None
        expected = {int(t["group"]): float(t["start"]) for t in job.params.get("expected") or []}
        state = job.state.value
        for number, tenant_ids in enumerate(job.params.get("groups") or [], start=1):
            when = format_clock(expected[number], zone) if number in expected else ""
            for tenant_id in tenant_ids:
                slots.setdefault(tenant_id, TonightSlot(job.job_id, number, when, state))
        for tenant_id in job.targets:
            slots.setdefault(tenant_id, TonightSlot(job.job_id, None, "", state))
    return slots


class FleetFeed:
    """Reads the store and diffs it against the previous read. Used from one worker thread at a time."""

    @property
    def rollbacks_tonight(self) -> int:
        """Rollbacks since the night began, as of the last read."""
        return self._rollbacks

    def __init__(self, store: Store, events: EventLog, clock: Clock, settings: Settings) -> None:
        self.tenants = TenantStore(store, events)
        self.sources = SourceStore(store)
        self.jobs = JobStore(store, events)
        self.leases = LeaseStore(store)
        self.events = events
        self.facts = Facts(store)
        self.trigger_status = TriggerStatusStore(store)
        self.worlds = SimWorldStore(store)
        self.clock = clock
        self.settings = settings
        self._rows: dict[str, FleetRow] = {}
        self._raw: dict[str, tuple] = {}
        self._tenants: dict[str, Tenant] = {}
        self._until: dict[str, float] = {}
        self._context: dict[str, tuple] = {}
        self._last_seq: int | None = None
        self._rollbacks_since: float | None = None
        self._rollbacks = 0
        self._pinned: dict[int, Event] = {}
        self._acknowledged = 0

    def poll(self, limit: int | None = None) -> FeedUpdate:
        """Read the store and return what changed. With `limit`, only the first tenants by ID (a quick
        first screenful before the whole fleet is read); such an update is not `complete`."""
        now = self.clock.now()
        with self.tenants.store.read():
            columns, raws = self.tenants.raw(limit)
            sources = self.sources.all()
            alerts = self._new_events(now) if limit is None else []
            locks = {holder.tenant_id: holder for holder in self.jobs.lock_holders()}
            jobs = self.jobs.active()
            leader = self.leases.leader()
            activity = job_activity(self.jobs, jobs, locks)
            breaching = {
                (status.tenant_id, status.rule): status.breaching_since
                for status in self.trigger_status.all()
                if status.breaching_since is not None
            }
            recorded = checkpoints(self.tenants.store, since=now - self.settings.watch.duration)
            holds = hold_steps(self.tenants.store, now, self.settings)
            night = read_night(self.tenants.store, self.settings, now)
        ctx = RowContext(
            now=now,
            gates=self.settings.gates,
            locks={tid: h.operator for tid, h in locks.items()},
            activity=activity,
            triggers=self.settings.triggers,
            breaching_since=breaching,
            tonight={tid: slot.text() for tid, slot in tonight_slots(jobs).items()},
            watch=self.settings.watch,
            checkpoints=recorded,
            holds=holds,
        )
        changed = self._rebuild(columns, raws, ctx)
        removed: tuple[str, ...] = ()
        if limit is None:
            seen = {raw[0] for raw in raws}
            removed = tuple(tid for tid in self._rows if tid not in seen)
            for tid in removed:
                for cache in (self._rows, self._raw, self._tenants, self._until, self._context):
                    cache.pop(tid, None)
        return FeedUpdate(
            now=now,
            changed=changed,
            removed=removed,
            total=len(self._rows),
            summary=summarize(self._rows.values()),
            sources=sources,
            alerts=alerts,
            rollbacks_tonight=self._rollbacks,
            tenants=dict(self._tenants),
            locks=locks,
            jobs=jobs,
            leader=leader,
            complete=limit is None,
            pinned=tuple(self._pinned[seq] for seq in sorted(self._pinned)),
            world_speed=self.worlds.clock_row()[2] if self.worlds.has_world() else None,
            night=night,
        )

    def _rebuild(self, columns: list[str], raws: list[tuple], ctx: RowContext) -> dict[str, FleetRow]:
        """Build rows only for tenants whose record, lock or activity changed, or whose row ages
        (a figure turning stale, a countdown): at 10,000 tenants a poll rebuilds a few dozen."""
        assert columns[0] == "tenant_id"
        changed: dict[str, FleetRow] = {}
        now = ctx.now
        breaching: dict[str, tuple] = {}
        for (tid, rule), since in sorted(ctx.breaching_since.items()):
            breaching[tid] = (*breaching.get(tid, ()), rule, since)
        for raw in raws:
            tid = raw[0]
            context = (
                ctx.locks.get(tid),
                ctx.activity.get(tid),
                ctx.tonight.get(tid),
                breaching.get(tid),
                ctx.checkpoints.get(tid),
                ctx.holds.get(tid),
            )
            same_record = self._raw.get(tid) == raw
            if same_record and now < self._until.get(tid, now) and self._context.get(tid) == context:
                continue
            if same_record:
                tenant = self._tenants[tid]
            else:
                tenant = self._tenants[tid] = Tenant.from_row(dict(zip(columns, raw, strict=True)))
                self._raw[tid] = raw
            row = build_row(tenant, ctx)
            self._until[tid] = row_valid_until(tenant, ctx)
            self._context[tid] = context
            if self._rows.get(tid) != row:
                self._rows[tid] = changed[tid] = row
        return changed

    def _new_events(self, now: float) -> list[Event]:
        if self._last_seq is None:
            # First read: the latest alerts, and tonight's rollbacks counted once.
            self._rollbacks_since = now - NIGHT
            self._rollbacks = self.events.count_transitions("rolling_back", self._rollbacks_since)
            self._last_seq = self.events.last_seq()
            self._acknowledged = self.facts.alerts_acknowledged_up_to()
            for event in self.facts.alerts(PINNED_LOOKBACK, after_seq=self._acknowledged):
                if pinned_alert(event):
                    self._pinned[event.seq] = event
            return self.events.find(kinds=ALERT_KINDS, limit=FIRST_EVENTS)
        fresh = self.events.find(after_seq=self._last_seq)
        if fresh:
            self._last_seq = fresh[-1].seq
        for event in fresh:
            if event.kind == ALERT_ACKNOWLEDGED:
                self._acknowledged = max(self._acknowledged, int(event.detail.get("up_to_seq", 0)))
                self._pinned = {seq: e for seq, e in self._pinned.items() if seq > self._acknowledged}
            elif pinned_alert(event) and event.seq > self._acknowledged:
                self._pinned[event.seq] = event
        self._rollbacks += sum(1 for e in fresh if e.kind == "transition" and e.state_after == "rolling_back")
        return [e for e in fresh if e.kind in ALERT_KINDS]


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


def hold_steps(store: Store, now: float, settings: Settings) -> dict[str, str]:
    """Each held tenant's hold as its next step: "held: customer asked to reschedule (bob)"."""
    zone = settings.safety.window.zone
    return {tid: hold.step(zone) for tid, hold in active_holds(store, now).items()}


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
