"""Simulated OCI load balancers, cluster hydration, the validation suite, and the AWS side's targets.

A tenant's OCI cluster exists once its sync has started (the runbook provisions
it then): three backends, now and then one lost for a few minutes and back.
Hydration takes 3-8 min. The validation suite runs the runbook's five checks
against the OCI endpoint and says what it measured; about 1 tenant in 25 fails
query performance because its cluster needs more OCPUs. The AWS side (three targets
per tenant's ALB target group) stays healthy unless a `backend_loss` fault with
`side = "aws"` (or "both") takes some down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from cutover.model.lifecycle import SyncHealth
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.health import BackendHealth, BackendStatus, CheckResult, TargetHealth, ValidationResult
from cutover.providers.ports.remote_jobs import RemoteJob
from cutover.providers.sim.model import (
    BACKENDS,
    S_HYDRATE,
    S_NODE,
    YIELD_EVERY,
    TenantParams,
    bucket_hash,
    uniform,
    unit,
)
from cutover.providers.sim.sync import SyncModel, continuous_started, job_view
from cutover.providers.sim.world import Fault, SimWorld, TenantJobs

SOURCE = "sim-oci-lb"
AWS_SOURCE = "sim-elbv2"
NODE_LOSS_PER_HOUR = 0.004  # chance a tenant loses a node in a given hour
HEALTH_FAULTS = ("backend_loss",)
ALL_HEALTHY: tuple[int, tuple[str, ...]] = (BACKENDS, ())  # (healthy, names of the backends down)
KEY = TenantParams._fields.index("key")


def ambient_nodes_down(params: TenantParams, t: float) -> int:
    """Which backend (1-3) the world itself took down at t, 0 for none."""
    return ambient_node_down(params.key, t)


def ambient_node_down(key: int, t: float) -> int:
    """`ambient_nodes_down` of the tenant whose parameters' key is `key`."""
    hour = int(t // 3600)
    for bucket in (hour, hour - 1):
        h = bucket_hash(key ^ S_NODE, bucket)
        if unit(h, 0) >= NODE_LOSS_PER_HOUR:
            continue
        start = bucket * 3600 + unit(h, 1) * 3600
        if start <= t < start + 120 + unit(h, 2) * 1080:  # 2 to 20 minutes
            return 1 + int(unit(h, 3) * 2.999)
    return 0


def status_for(healthy: int, total: int) -> BackendStatus:
    if total == 0:
        return BackendStatus.UNKNOWN
    if healthy == total:
        return BackendStatus.OK
    return BackendStatus.WARNING if 2 * healthy >= total else BackendStatus.CRITICAL


def hydrated_at(jobs: TenantJobs | None, t: float) -> float | None:
    if jobs is None:
        return None
    ends = [j.started_at + (j.duration_s or 0.0) for j in jobs.hydrations]
    done = [end for end in ends if end <= t]
    return max(done) if done else None


class SimHealth:
    source = SOURCE

    def __init__(self, world: SimWorld):
        self.world = world

    def _backends_at(self, tenant: Tenant, t: float, per_tenant_loss: int) -> tuple[int, tuple[str, ...]]:
        """(healthy, names of the backends down) at t."""
        world = self.world
        node = ambient_node_down(world.params_values(tenant)[KEY], t) if world.ambient_faults else 0
        if not node and not per_tenant_loss:
            return ALL_HEALTHY  # most tenants, most of the time
        down: set[int] = set()
        if node:
            down.add(node)
        for node in range(1, per_tenant_loss + 1):
            down.add(BACKENDS + 1 - node)
        names = tuple(f"{tenant.tenant_id.lower()}-node-{n}:8080" for n in sorted(down))
        return BACKENDS - len(down), names

    def _losses_at(self, t: float, side: str = "oci") -> tuple[int, dict[str, int]]:
        """Nodes lost at t on one side ("oci" or "aws"): on every tenant, and per tenant."""
        everyone, per_tenant = self.world.faults_at(t, HEALTH_FAULTS)

        def hits(fault: Fault) -> bool:
            return fault.params.get("side", "oci") in (side, "both")

        common = max((int(f.params.get("nodes", 1)) for f in everyone if hits(f)), default=0)
        losses = {
            tid: max((int(f.params.get("nodes", 1)) for f in faults if hits(f)), default=0)
            for tid, faults in per_tenant.items()
        }
        return common, {tid: lost for tid, lost in losses.items() if lost}

    async def aws_targets(self, tenants: Sequence[Tenant]) -> dict[str, TargetHealth]:
        """The AWS side's targets: all three healthy, less what an AWS-side backend_loss takes down."""
        world = self.world
        world.refresh()
        now = world.clock.now()
        common, losses = self._losses_at(now, "aws")
        found: dict[str, TargetHealth] = {}
        for tenant in tenants:
            lost = min(BACKENDS, max(common, losses.get(tenant.tenant_id, 0)))
            down = tuple(
                f"{tenant.tenant_id.lower()}-aws-{n}:8080 unhealthy (Target.FailedHealthChecks)"
                for n in range(BACKENDS + 1 - lost, BACKENDS + 1)
            )
            found[tenant.tenant_id] = TargetHealth(tenant.tenant_id, BACKENDS - lost, BACKENDS, down, now, AWS_SOURCE)
        return found

    async def backends(self, tenants: Sequence[Tenant]) -> dict[str, BackendHealth]:
        world = self.world
        world.refresh()
        now = world.clock.now()
        common, losses = self._losses_at(now)
        found: dict[str, BackendHealth] = {}
        jobs_of = world.jobs
        unknown = BackendStatus.UNKNOWN
        for number, tenant in enumerate(tenants, 1):
            if number % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            tenant_id = tenant.tenant_id
            jobs = jobs_of.get(tenant_id)
            if continuous_started(jobs, now) is None:
                found[tenant_id] = BackendHealth(tenant_id, 0, 0, unknown, (), None, now, SOURCE)
                continue
            healthy, down = self._backends_at(tenant, now, max(common, losses.get(tenant_id, 0)))
            found[tenant_id] = BackendHealth(
                tenant_id,
                healthy,
                BACKENDS,
                status_for(healthy, BACKENDS),
                down,
                hydrated_at(jobs, now),
                now,
                SOURCE,
            )
        return found

    async def start_hydration(self, tenant: Tenant) -> RemoteJob:
        world = self.world
        world.refresh()
        now = world.clock.now()
        jobs = world.jobs_of(tenant.tenant_id)
        if jobs is None or jobs.continuous is None:
            raise ProviderError(SOURCE, f"{tenant.tenant_id}: no OCI cluster yet; it is provisioned when sync starts")
        params = world.params(tenant)
        attempt = len(jobs.hydrations)
        duration = uniform(params.key ^ attempt, S_HYDRATE, 180.0, 480.0)  # the runbook: 3-8 min
        job = world.db.start_job(tenant.tenant_id, "hydrate", now, duration)
        world.refresh()
        return job_view(job, now, "", SOURCE)

    async def job(self, job: RemoteJob) -> RemoteJob:
        world = self.world
        world.refresh()
        row = world.job(job.job_id)
        if row is None:
            raise ProviderError(SOURCE, f"no hydration job {job.job_id}")
        return job_view(row, world.clock.now(), "", SOURCE)

    async def validate(self, tenant: Tenant) -> ValidationResult:
        world = self.world
        world.refresh()
        now = world.clock.now()
        params = world.params(tenant)
        jobs = world.jobs_of(tenant.tenant_id)
        sync = SyncModel(world, now).state(tenant, params, jobs)
        common, losses = self._losses_at(now)
        healthy, _ = self._backends_at(tenant, now, max(common, losses.get(tenant.tenant_id, 0)))
        everyone, per_tenant = world.faults_at(now, ("error_spike", "latency_regression"))
        faults = [*everyone, *per_tenant.get(tenant.tenant_id, ())]
        spike = max((float(f.params.get("error_rate", 0.05)) for f in faults if f.kind == "error_spike"), default=0.0)
        slowdown = max(
            (float(f.params.get("factor", 2.5)) for f in faults if f.kind == "latency_regression"), default=1.0
        )
        cluster = jobs is not None and jobs.continuous is not None
        checks = (
            _data_integrity(sync.health, sync.percent, sync.mismatches, cluster, now),
            _query_performance(params, slowdown, cluster, now),
            _concurrency(spike, healthy, cluster, now),
            _failover(healthy, cluster, now),
            _end_to_end(tenant, spike, healthy, cluster, now),
        )
        return ValidationResult(tenant.tenant_id, checks, now, SOURCE)


def _no_cluster(name: str, now: float) -> CheckResult:
    return CheckResult(name, False, "no OCI cluster to test: it is provisioned when sync starts", now)


def _data_integrity(
    health: SyncHealth, percent: float | None, mismatches: int, cluster: bool, now: float
) -> CheckResult:
    if not cluster:
        return _no_cluster("data_integrity", now)
    if health is SyncHealth.INITIAL_SYNC or (health is SyncHealth.STALLED and percent is not None):
        return CheckResult(
            "data_integrity", False, f"initial sync {percent or 0:.0f} % done: OCI does not hold all the data yet", now
        )
    if mismatches:
        return CheckResult(
            "data_integrity", False, f"{mismatches} objects differ between S3 and OCI Object Storage (checksums)", now
        )
    return CheckResult(
        "data_integrity", True, "row counts match within 0.1 %; 1,000 sampled rows have matching checksums", now
    )


def _query_performance(params: TenantParams, slowdown: float, cluster: bool, now: float) -> CheckResult:
    if not cluster:
        return _no_cluster("query_performance", now)
    aws, oci = params.aws_p95_ms, params.oci_p95_ms * slowdown
    change = (oci - aws) / aws * 100.0
    if oci <= aws:
        return CheckResult(
            "query_performance",
            True,
            f"replayed 100 production queries: OCI p95 {oci:,.0f} ms vs AWS {aws:,.0f} ms "
            f"({-change:.0f} % faster); results match byte for byte",
            now,
        )
    advice = "the OCI cluster needs more OCPUs (e.g. 16 -> 32)" if params.undersized else "investigate the OCI cluster"
    return CheckResult(
        "query_performance",
        False,
        f"replayed 100 production queries: OCI p95 {oci:,.0f} ms vs AWS {aws:,.0f} ms "
        f"({change:.0f} % slower): {advice}",
        now,
    )


def _concurrency(spike: float, healthy: int, cluster: bool, now: float) -> CheckResult:
    if not cluster:
        return _no_cluster("concurrency", now)
    if spike > 0:
        failed = max(1, round(50 * spike))
        return CheckResult("concurrency", False, f"50 concurrent queries: {failed} failed with HTTP 5xx", now)
    if healthy < BACKENDS:
        return CheckResult(
            "concurrency", False, f"50 concurrent queries: connection pool exhausted with {healthy}/3 backends", now
        )
    return CheckResult("concurrency", True, "50 concurrent queries: no errors, no timeouts; CPU peaked at 61 %", now)


def _failover(healthy: int, cluster: bool, now: float) -> CheckResult:
    if not cluster:
        return _no_cluster("failover", now)
    if healthy < BACKENDS:
        return CheckResult(
            "failover", False, f"only {healthy}/{BACKENDS} backends healthy before the test: cannot take one down", now
        )
    return CheckResult(
        "failover", True, "terminated one node: the load balancer routed to the other 2; p95 rose 6 % (< 10 %)", now
    )


def _end_to_end(tenant: Tenant, spike: float, healthy: int, cluster: bool, now: float) -> CheckResult:
    if not cluster:
        return _no_cluster("end_to_end", now)
    endpoint = tenant.oci_target or "the OCI load balancer"
    if healthy == 0:
        return CheckResult("end_to_end", False, f"{endpoint}: connection refused (no healthy backend)", now)
    if spike >= 0.02:
        return CheckResult("end_to_end", False, f"{endpoint}: dashboard load returned HTTP 502 twice in 5 tries", now)
    return CheckResult(
        "end_to_end", True, f"via {endpoint}: login, dashboard load and 12 visualisations OK in 2.1 s", now
    )
