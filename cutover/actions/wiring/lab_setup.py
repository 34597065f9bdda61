"""Bring some of the lab's tenants to ready the way a team would: through the real providers.

For each tenant: start its continuous sync (rclone copies moto's S3 into the
local Object Storage), wait for the pass, prove lag 0 with a verification, run
the validation suite against its OCI endpoint, re-hydrate its cluster over SSH,
read its backends; record each result in the store and move it pending ->
syncing -> validating -> ready. A tenant whose evidence falls short stays where
the evidence left it, with the reason in the audit trail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from cutover.model.clock import Clock
from cutover.model.lifecycle import Lifecycle
from cutover.model.tenant import Tenant
from cutover.providers.ports.bundle import Providers
from cutover.providers.ports.remote_jobs import RemoteJob, RemoteJobState
from cutover.state.tenants import TenantStore
from cutover.state.ttl_history import ttl_observation


async def _until_done(
    poll: Callable[[RemoteJob], Awaitable[RemoteJob]], job: RemoteJob, clock: Clock, timeout: float = 120.0
) -> RemoteJob:
    started = clock.now()
    while job.state == RemoteJobState.RUNNING and clock.now() - started < timeout:
        await clock.sleep(0.5)
        job = await poll(job)
    return job


async def prepare_ready(providers: Providers, tenants: TenantStore, fleet: Sequence[Tenant], clock: Clock) -> list[str]:
    """Take `fleet` to ready where the evidence allows; returns the tenants that got there."""
    results = await asyncio.gather(*(_prepare(providers, tenants, t, clock) for t in fleet), return_exceptions=True)
    return [t.tenant_id for t, ok in zip(fleet, results, strict=True) if ok is True]


async def _prepare(providers: Providers, tenants: TenantStore, tenant: Tenant, clock: Clock) -> bool:
    why = "lab: prepared through the real providers"
    tenants.transition(tenant.tenant_id, Lifecycle.SYNCING, why=why)
    job = await _until_done(providers.sync.job, await providers.sync.start_continuous(tenant), clock)
    hydration = await providers.health.start_hydration(tenant)
    if job.state != RemoteJobState.SUCCEEDED:
        tenants.observe(tenant.tenant_id, sync_health="error", observed_at=clock.now())
        return False
    proof = await providers.sync.verify(tenant)
    now = clock.now()
    tenants.observe(
        tenant.tenant_id,
        sync_health="continuous",
        sync_percent=100.0,
        sync_lag_s=0.0 if proof.lag_zero else None,
        pending_objects=proof.missing_on_dst,
        pending_bytes=0,
        checksum_mismatches=proof.differ,
        last_pass_at=job.ended_at,
        verified_at=now if proof.lag_zero else None,
        observed_at=now,
    )
    if not proof.lag_zero:
        return False
    tenants.transition(tenant.tenant_id, Lifecycle.VALIDATING, why=why)
    result = await providers.health.validate(tenant)
    tenants.observe(
        tenant.tenant_id,
        validation_passed=result.passed,
        validation_total=len(result.checks),
        validated_at=result.measured_at,
    )
    hydration = await _until_done(providers.health.job, hydration, clock)
    backends = (await providers.health.backends([tenant])).get(tenant.tenant_id)
    if backends is not None:
        tenants.observe(
            tenant.tenant_id,
            backends_healthy=backends.healthy,
            backends_total=backends.total,
            health_at=backends.measured_at,
        )
    if hydration.state == RemoteJobState.SUCCEEDED:
        tenants.observe(tenant.tenant_id, hydrated_at=hydration.ended_at)
    if not result.all_passed or hydration.state != RemoteJobState.SUCCEEDED:
        return False
    await _record_dns(providers, tenants, tenants.get(tenant.tenant_id))
    tenants.transition(tenant.tenant_id, Lifecycle.READY, why=why)
    return True


async def _record_dns(providers: Providers, tenants: TenantStore, tenant: Tenant) -> None:
    """The record as it stands. The lab made it at its low TTL when it started: no resolver can hold an
    answer with a longer one, so there is no older TTL to wait out (assume_previous=0)."""
    record = (await providers.dns.read_routing([tenant])).get(tenant.tenant_id)
    if record is None:
        return
    tenants.observe(
        tenant.tenant_id,
        dns_oci_share=record.routing.oci_share(tenant.aws_target, tenant.oci_target),
        dns_routing=record.describe(),
        dns_at=record.measured_at,
        **ttl_observation(tenant, record.routing.ttl, record.measured_at, assume_previous=0),
    )
