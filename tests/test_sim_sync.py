"""Simulated sync, health and validation: the runbook's timings, and a ready tenant
that genuinely passes the pre-flight gate."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_helpers import fresh_world

from cutover.model.lifecycle import SyncHealth
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.health import VALIDATION_CHECKS, BackendStatus
from cutover.providers.ports.remote_jobs import RemoteJobState
from cutover.providers.sim.model import SYNC_INTERVAL_S, initial_sync_seconds

GB = 10**9


def test_initial_sync_takes_the_runbook_times() -> None:
    assert 4 * 60 <= initial_sync_seconds(1 * GB) <= 6 * 60
    assert 100 * 60 <= initial_sync_seconds(100 * GB) <= 140 * 60
    assert initial_sync_seconds(10 * GB) < initial_sync_seconds(100 * GB) < initial_sync_seconds(2000 * GB)


@pytest.mark.asyncio
async def test_a_started_sync_copies_in_bulk_then_runs_continuously(simulated) -> None:
    tenant = min(simulated.in_state("pending"), key=lambda t: t.size_bytes)
    sync = simulated.providers.sync
    assert (await sync.status([tenant]))[tenant.tenant_id].health is SyncHealth.NOT_STARTED
    job = await sync.start_continuous(tenant)
    assert job.state is RemoteJobState.RUNNING and (await sync.start_continuous(tenant)).job_id == job.job_id
    simulated.clock.advance(60)
    early = (await sync.status([tenant]))[tenant.tenant_id]
    assert early.health is SyncHealth.INITIAL_SYNC and 0 < early.percent < 100 and early.eta_s > 0
    assert early.pending_bytes > 0 and early.lag_s is None
    with pytest.raises(ProviderError, match="initial copy"):
        await sync.start_final_sync(tenant)
    simulated.clock.advance(early.eta_s + 1)
    done = (await sync.status([tenant]))[tenant.tenant_id]
    assert done.health is SyncHealth.CONTINUOUS and done.percent is None and done.last_pass_at is not None


@settings(max_examples=20, deadline=None)
@given(pick=st.integers(0, 10_000), steps=st.lists(st.floats(1, 4 * 3600), min_size=1, max_size=12))
def test_property_lag_never_exceeds_the_sync_interval_in_continuous_sync(
    tmp_path_factory, pick: int, steps: list[float]
) -> None:
    sim = fresh_world(tmp_path_factory)
    continuous = [t for t in sim.fleet() if t.sync_health is SyncHealth.CONTINUOUS]
    tenant = continuous[pick % len(continuous)]
    for step in steps:
        sim.clock.advance(step)
        status = asyncio.run(sim.providers.sync.status([tenant]))[tenant.tenant_id]
        assert status.health is SyncHealth.CONTINUOUS
        assert 0 <= status.lag_s < SYNC_INTERVAL_S
        assert status.measured_at - status.last_pass_at < SYNC_INTERVAL_S
        assert (status.lag_s == 0) == (status.pending_objects == 0)


@pytest.mark.asyncio
async def test_tonights_ready_tenants_pass_the_gate_after_a_final_sync(simulated) -> None:
    """Lag provably 0 after a final sync, 5/5 validation within 24 h, 3/3 backends, hydrated recently."""
    ready = simulated.in_state("ready")
    p = simulated.providers
    now = simulated.clock.now()
    for tenant in ready:
        assert tenant.validation_passed == tenant.validation_total == len(VALIDATION_CHECKS)
        assert now - tenant.validated_at < 24 * 3600
        assert now - tenant.hydrated_at < 30 * 60
    backends = await p.health.backends(ready)
    assert all((b.healthy, b.total, b.status) == (3, 3, BackendStatus.OK) for b in backends.values())
    assert all(now - b.hydrated_at < 30 * 60 for b in backends.values())

    jobs = {t.tenant_id: await p.sync.start_final_sync(t) for t in ready}
    durations = []
    simulated.clock.advance(120)
    for tenant in ready:
        job = await p.sync.job(jobs[tenant.tenant_id])
        assert job.state is RemoteJobState.SUCCEEDED, job
        durations.append(job.ended_at - job.started_at)
        verification = await p.sync.verify(tenant)
        assert verification.lag_zero and verification.objects_checked > 0
        status = (await p.sync.status([tenant]))[tenant.tenant_id]
        assert status.lag_s == 0 and status.pending_objects == 0 and status.checksum_mismatches == 0
        validation = await p.health.validate(tenant)
        assert validation.all_passed, validation
        assert [c.name for c in validation.checks] == list(VALIDATION_CHECKS)
    assert all(30 <= d <= 120 for d in durations)


@pytest.mark.asyncio
async def test_about_one_tenant_in_25_fails_query_performance_and_says_why(make_simulated) -> None:
    sim = make_simulated(size=1000, seed_night=False)
    fleet = sim.fleet()
    sync = sim.providers.sync
    for tenant in fleet:
        await sync.start_continuous(tenant)
    sim.clock.advance(2 * 24 * 3600)
    small = [t for t in fleet if t.wave == 1]
    results = [await sim.providers.health.validate(t) for t in small]
    failing = [r for r in results if not r.all_passed]
    assert 0.01 <= len(failing) / len(small) <= 0.09
    for result in failing:
        failed = [c for c in result.checks if not c.passed]
        assert [c.name for c in failed] == ["query_performance"]
        assert "slower" in failed[0].evidence and "OCPU" in failed[0].evidence


@pytest.mark.asyncio
async def test_hydration_takes_3_to_8_minutes(simulated) -> None:
    tenant = simulated.in_state("ready")[0]
    health = simulated.providers.health
    job = await health.start_hydration(tenant)
    simulated.clock.advance(179)
    assert (await health.job(job)).state is RemoteJobState.RUNNING
    simulated.clock.advance(8 * 60 - 179)
    done = await health.job(job)
    assert done.state is RemoteJobState.SUCCEEDED and 180 <= done.ended_at - done.started_at <= 480
    assert (await health.backends([tenant]))[tenant.tenant_id].hydrated_at == done.ended_at


@pytest.mark.asyncio
async def test_a_ready_tenant_passes_the_engines_gate_once_a_final_sync_proves_lag_0(simulated) -> None:
    """What the engine does before DNS: final sync, verification, fresh observations, the gate."""
    from cutover.actions.plan.gate import evaluate_gate
    from cutover.config.settings import Settings

    settings = Settings()
    tenant = simulated.in_state("ready")[0]
    p = simulated.providers

    async def measure() -> float | None:
        return (await p.metrics.snapshot([tenant])).tenant(tenant.tenant_id).measured_at

    simulated.tenants.observe(tenant.tenant_id, metrics_at=await measure())
    tenant = simulated.tenant(tenant.tenant_id)
    before = evaluate_gate(tenant, simulated.clock.now(), settings)
    assert [c.name for c in before.blocking] == ["sync"], before.blocking  # lag 0 never proven yet

    job = await p.sync.start_final_sync(tenant)
    simulated.clock.advance(120)
    assert (await p.sync.job(job)).state is RemoteJobState.SUCCEEDED
    verification = await p.sync.verify(tenant)
    status = (await p.sync.status([tenant]))[tenant.tenant_id]
    health = (await p.health.backends([tenant]))[tenant.tenant_id]
    now = simulated.clock.now()
    simulated.tenants.observe(
        tenant.tenant_id,
        sync_health=status.health,
        sync_lag_s=status.lag_s,
        pending_objects=status.pending_objects,
        checksum_mismatches=status.checksum_mismatches,
        last_pass_at=status.last_pass_at,
        verified_at=verification.measured_at if verification.lag_zero else None,
        backends_healthy=health.healthy,
        backends_total=health.total,
        health_at=health.measured_at,
        hydrated_at=health.hydrated_at,
        metrics_at=await measure(),
        observed_at=now,
    )
    after = evaluate_gate(simulated.tenant(tenant.tenant_id), now, settings)
    assert after.passed, [c.describe() for c in after.blocking]


@pytest.mark.asyncio
async def test_writes_are_held_for_5_minutes_after_a_final_sync_then_lag_comes_back(make_simulated) -> None:
    sim = make_simulated(size=300)
    sim.clock.advance(11 * 3600)  # 14:00 in New York: the busiest hours, writes every few minutes
    busy = sorted(sim.in_state("migrated") + sim.in_state("decommissioned"), key=lambda t: -t.size_bytes)[:20]
    sync = sim.providers.sync
    jobs = [await sync.start_final_sync(t) for t in busy]
    sim.clock.advance(120)
    ended = [(await sync.job(job)).ended_at for job in jobs]
    assert sim.clock.now() >= max(ended)
    for offset in (0, 150, 290):
        sim.clock.set(max(sim.clock.now(), min(ended) + offset))
        status = await sync.status(busy)
        assert all(s.lag_s == 0 and s.pending_objects == 0 for s in status.values()), offset
        assert all([(await sync.verify(t)).lag_zero for t in busy])
    sim.clock.set(max(ended) + 15 * 60)
    later = await sync.status(busy)
    assert any(s.lag_s > 0 for s in later.values()), "writes resume and lag with them"
    assert not (await sync.verify(next(t for t in busy if later[t.tenant_id].lag_s > 0))).lag_zero
