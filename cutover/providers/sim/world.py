"""One simulated world over a store: what every simulated provider shares.

The world's events (DNS records and changes, jobs, faults) live in the store
(`cutover.state.simworld`); this class caches them, reloading only what a newer
generation wrote, and answers the questions the providers ask: where a tenant's
traffic is at time t, which faults touch it, how its sync jobs stand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cutover.model.clock import Clock
from cutover.model.routing import Routing, WeightedTarget
from cutover.model.tenant import Tenant
from cutover.providers.sim.model import ParamsValues, TenantParams, settle_after, shift_progress
from cutover.state.simworld import SimWorldStore
from cutover.state.simworld_rows import DnsRecordRow, FaultRow, JobRow
from cutover.state.store import Store

# --- routing as stored ------------------------------------------------------------------


def routing_to_json(routing: Routing) -> str:
    if routing.target is not None:
        return json.dumps({"ttl": routing.ttl, "target": routing.target}, sort_keys=True)
    weights = [[w.set_id, w.target, w.weight] for w in sorted(routing.weights, key=lambda w: w.set_id)]
    return json.dumps({"ttl": routing.ttl, "weights": weights}, sort_keys=True)


def routing_from_json(text: str) -> Routing:
    data = json.loads(text)
    if "target" in data:
        return Routing(ttl=data["ttl"], target=data["target"])
    return Routing(ttl=data["ttl"], weights=tuple(WeightedTarget(*w) for w in data["weights"]))


def normalised(routing: Routing) -> Routing:
    """The same routing with weighted targets in a fixed order, for comparing."""
    if routing.target is not None:
        return routing
    return Routing(ttl=routing.ttl, weights=tuple(sorted(routing.weights, key=lambda w: w.set_id)))


def split_of(routing: Routing, aws_target: str, oci_target: str) -> tuple[float, float]:
    """(share to OCI, share to neither cloud) that a routing asks for."""
    if routing.target is not None:
        if routing.target == oci_target:
            return 1.0, 0.0
        return (0.0, 0.0) if routing.target == aws_target else (0.0, 1.0)
    total = sum(w.weight for w in routing.weights)
    oci = sum(w.weight for w in routing.weights if w.target == oci_target) / total
    lost = sum(w.weight for w in routing.weights if w.target not in (aws_target, oci_target)) / total
    return oci, lost


# --- cached state ---------------------------------------------------------------------------


@dataclass(slots=True)
class RecordState:
    row: DnsRecordRow
    routing: Routing
    settled_at: float  # from then on traffic is where the routing says
    targets: tuple[str, str] = ("", "")  # the tenant targets `split` was computed for
    split: tuple[float, float] = (0.0, 0.0)
    version: str = field(init=False)  # the row's version as a DnsRecord says it

    def __post_init__(self) -> None:
        self.version = str(self.row.version)

    def share_at(self, aws_target: str, oci_target: str, t: float) -> tuple[float, float]:
        """(OCI share, lost share) of the tenant's traffic at world time t."""
        if self.targets[0] != aws_target or self.targets[1] != oci_target:
            self.targets = (aws_target, oci_target)
            self.split = split_of(self.routing, aws_target, oci_target)
        row = self.row
        if t >= self.settled_at:
            return self.split
        if t <= row.visible_at:
            return row.before_oci, row.before_lost
        progress = shift_progress(t - row.visible_at, row.before_ttl)
        oci, lost = self.split
        return (
            row.before_oci + (oci - row.before_oci) * progress,
            row.before_lost + (lost - row.before_lost) * progress,
        )


@dataclass(slots=True)
class TenantJobs:
    continuous: JobRow | None = None
    finals: list[JobRow] = field(default_factory=list)
    hydrations: list[JobRow] = field(default_factory=list)
    reverses: list[JobRow] = field(default_factory=list)  # a rollback's reverse syncs, OCI -> AWS


@dataclass(frozen=True)
class Fault:
    fault_id: int
    kind: str
    targets: frozenset[str] | None
    start_at: float | None
    after_cutover_s: float | None
    duration_s: float | None
    params: dict[str, Any]
    label: str
    source: str

    @classmethod
    def from_row(cls, row: FaultRow) -> Fault:
        return cls(
            row.fault_id,
            row.kind,
            frozenset(row.targets) if row.targets is not None else None,
            row.start_at,
            row.after_cutover_s,
            row.duration_s,
            row.params,
            row.label,
            row.source,
        )

    def applies_to(self, tenant_id: str) -> bool:
        return self.targets is None or tenant_id in self.targets

    def window(self, tenant_id: str, cutovers: dict[str, list[float]], added_at: float) -> tuple[float, float] | None:
        """When the fault holds for this tenant, or None if it does not (yet)."""
        if not self.applies_to(tenant_id):
            return None
        if self.after_cutover_s is None:
            start = self.start_at if self.start_at is not None else added_at
        else:
            # The first cutover after the fault was injected; a later attempt is a fresh start.
            times = [at for at in cutovers.get(tenant_id, ()) if at >= added_at]
            if not times:
                return None
            start = times[0] + self.after_cutover_s
        end = start + self.duration_s if self.duration_s is not None else float("inf")
        return start, end


class SimWorld:
    """The shared world of the simulated providers, over one store and one clock."""

    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock
        self.db = SimWorldStore(store)
        world = self.db.world()
        self.seed = world.seed
        self.ambient_faults = world.ambient_faults
        self._gen = -1
        self._records: dict[str, RecordState] = {}
        self._jobs: dict[str, TenantJobs] = {}
        self._jobs_by_id: dict[str, JobRow] = {}
        self._faults: list[tuple[Fault, float]] = []
        self._cutovers: dict[str, list[float]] = {}
        self._params: dict[str, tuple[int, ParamsValues]] = {}  # plain tuples: no collection walks them

    # --- keeping up with the store ------------------------------------------------------

    def refresh(self) -> None:
        """Load what other writers (or this one) changed since the last look.

        One read transaction under the store's lock: a consistent state, and safe
        from several threads. Updates replace values rather than change them in
        place, so a reader in another thread sees the old state or the new, never half.
        """
        if self.db.generation() == self._gen:  # most looks: nothing changed, one statement
            return
        with self.store.read():
            gen = self.db.generation()
            if gen == self._gen:
                return
            for row in self.db.records(since_gen=self._gen):
                routing = routing_from_json(row.routing)
                self._records[row.tenant_id] = RecordState(row, routing, row.visible_at + settle_after(row.before_ttl))
            for job in self.db.jobs(since_gen=self._gen):
                self._add_job(job)
            self._load_faults()
            self._gen = gen

    def refresh_faults(self) -> None:
        """Load only the faults and the cutover times (what `fault_states` needs): a few rows, where
        `refresh` reads every tenant's DNS record and sync jobs (0.9 s at 50,000 tenants)."""
        with self.store.read():
            self._load_faults()

    def _load_faults(self) -> None:
        self._faults = [(Fault.from_row(row), row.added_at) for row in self.db.faults()]
        self._cutovers = self.db.cutover_times()

    def _add_job(self, job: JobRow) -> None:
        if job.job_id in self._jobs_by_id:
            return
        self._jobs_by_id[job.job_id] = job
        jobs = self._jobs.setdefault(job.tenant_id, TenantJobs())
        if job.kind == "continuous":
            if jobs.continuous is None or job.started_at < jobs.continuous.started_at:
                jobs.continuous = job
        elif job.kind == "final":
            jobs.finals = sorted([*jobs.finals, job], key=lambda j: j.started_at)
        elif job.kind == "hydrate":
            jobs.hydrations = sorted([*jobs.hydrations, job], key=lambda j: j.started_at)
        elif job.kind == "reverse":
            jobs.reverses = sorted([*jobs.reverses, job], key=lambda j: j.started_at)

    # --- what the providers ask ---------------------------------------------------------

    def params(self, tenant: Tenant) -> TenantParams:
        cached = self._params.get(tenant.tenant_id)
        if cached is not None and cached[0] == tenant.version:
            return TenantParams._make(cached[1])
        params = TenantParams.derive(self.seed, tenant)
        self._params[tenant.tenant_id] = (tenant.version, tuple(params))  # kept as plain values (model.ParamsValues)
        return params

    def params_values(self, tenant: Tenant) -> ParamsValues:
        """`params(tenant)` as the plain tuple of its values, without naming them: for hot loops."""
        cached = self._params.get(tenant.tenant_id)
        if cached is not None and cached[0] == tenant.version:
            return cached[1]
        return tuple(self.params(tenant))

    @property
    def cached_params(self) -> dict[str, tuple[int, ParamsValues]]:
        """tenant_id -> (the tenant version they were derived from, the params' values): for hot loops, which
        read them by position (or name them with `TenantParams._make(values)`)."""
        return self._params

    def record(self, tenant_id: str) -> RecordState | None:
        return self._records.get(tenant_id)

    @property
    def records(self) -> dict[str, RecordState]:
        return self._records

    def last_cutover(self, tenant_id: str) -> float | None:
        """When the tenant's last change towards OCI was submitted; None if it never had one."""
        times = self._cutovers.get(tenant_id)
        return times[-1] if times else None

    def jobs_of(self, tenant_id: str) -> TenantJobs | None:
        return self._jobs.get(tenant_id)

    @property
    def jobs(self) -> dict[str, TenantJobs]:
        """tenant_id -> its sync jobs (`jobs_of` for each), for hot loops."""
        return self._jobs

    def job(self, job_id: str) -> JobRow | None:
        return self._jobs_by_id.get(job_id) or self.db.job(job_id)

    def share_at(self, tenant: Tenant, t: float) -> tuple[float, float]:
        record = self._records.get(tenant.tenant_id)
        return record.share_at(tenant.aws_target, tenant.oci_target, t) if record is not None else (0.0, 0.0)

    def faults_at(self, t: float, kinds: Sequence[str]) -> tuple[list[Fault], dict[str, list[Fault]]]:
        """Faults of these kinds holding at t: those on every tenant, and those per tenant."""
        everyone: list[Fault] = []
        per_tenant: dict[str, list[Fault]] = {}
        for fault, added_at in self._faults:
            if fault.kind not in kinds:
                continue
            if fault.targets is None and fault.after_cutover_s is None:
                start, end = fault.window("", self._cutovers, added_at) or (0.0, 0.0)
                if start <= t < end:
                    everyone.append(fault)
                continue
            candidates = fault.targets if fault.targets is not None else self._cutovers.keys()
            for tenant_id in candidates:
                window = fault.window(tenant_id, self._cutovers, added_at)
                if window is not None and window[0] <= t < window[1]:
                    per_tenant.setdefault(tenant_id, []).append(fault)
        return everyone, per_tenant

    def fault_windows(self, tenant_id: str, kind: str) -> list[tuple[float, float, Fault]]:
        """Every window in which a fault of this kind holds for this tenant."""
        windows = []
        for fault, added_at in self._faults:
            if fault.kind != kind:
                continue
            window = fault.window(tenant_id, self._cutovers, added_at)
            if window is not None:
                windows.append((window[0], window[1], fault))
        return sorted(windows, key=lambda w: w[0])

    def faults(self) -> list[Fault]:
        return [fault for fault, _ in self._faults]

    def fault_states(self, t: float) -> list[tuple[Fault, str]]:
        """Each fault with where it stands at t, in words: active, starts in, over, waiting."""
        states = []
        for fault, added_at in self._faults:
            if fault.after_cutover_s is not None:
                candidates = fault.targets if fault.targets is not None else self._cutovers.keys()
                windows = [w for w in (fault.window(tid, self._cutovers, added_at) for tid in candidates) if w]
                active = sum(1 for start, end in windows if start <= t < end)
                if active:
                    state = f"active on {active}"
                elif any(start > t for start, _ in windows):
                    state = "after a cutover, soon"
                elif windows and all(end <= t for _, end in windows) and fault.targets is not None:
                    state = "over" if len(windows) == len(fault.targets) else "waits for a cutover"
                else:
                    state = "waits for a cutover"
            else:
                start = fault.start_at if fault.start_at is not None else added_at
                end = start + fault.duration_s if fault.duration_s is not None else float("inf")
                if t < start:
                    state = f"in {_minutes(start - t)}"
                elif t < end:
                    state = "active" if end == float("inf") else f"active, {_minutes(end - t)} left"
                else:
                    state = "over"
            states.append((fault, state))
        return states


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.0f} h"
